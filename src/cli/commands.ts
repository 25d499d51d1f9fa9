import { AuditStore } from '../audit/audit-store.js';
import { DEFAULT_SCOPES, SCOPES, type Scope, isScope, parseDuration } from '../auth/scopes.js';
import { TokenNameTakenError, TokenStore } from '../auth/token-store.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { openMigratedDatabase } from '../context.js';
import { startDaemon } from '../daemon.js';
import { createLogger } from '../log/logger.js';
import { LISTEN_ENV, listenFds } from '../systemd/listen-fds.js';
import { NOTIFY_ENV, notifySettings, openNotifier } from '../systemd/notify.js';
import { auditHelp, migrateHelp, serveHelp, tokenHelp } from './help.js';
import { type CliIO, UsageError, parseFlags } from './usage.js';

const dbFlag = { db: { type: 'string' } } as const;

export function configFrom(io: CliIO, flags: Parameters<typeof loadConfig>[0]['flags']) {
  try {
    return loadConfig({ flags, env: io.env, cwd: io.cwd, uid: io.uid });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export async function serveCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(args, {
    listen: { type: 'string' },
    'podman-socket': { type: 'string' },
    'default-image': { type: 'string' },
    policy: { type: 'string' },
    ...dbFlag,
  });
  if (values.help) {
    io.stdout(serveHelp);
    return 0;
  }
  const config = configFrom(io, {
    listen: values.listen,
    podmanSocket: values['podman-socket'],
    db: values.db,
    defaultImage: values['default-image'],
    policy: values.policy,
  });
  // systemd's hand-over: sockets to serve (LISTEN_FDS) and where to report readiness (NOTIFY_SOCKET).
  const sockets = listenFds(io.env, process.pid);
  const notify = notifySettings(io.env, process.pid);
  // Unset for our children: a Podman service we start must not take our sockets or notify for us.
  for (const name of [...LISTEN_ENV, ...NOTIFY_ENV]) delete process.env[name];
  const log = createLogger(config.logLevel);
  const notifier = await openNotifier(notify, log.child({ component: 'systemd' }));
  let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined;
  // SIGHUP re-reads the policy file; the outcome (kept or replaced) is logged and audited. Handled
  // from the start: a reload that arrives right after READY=1 (systemctl reload) must not meet
  // SIGHUP's default action, which ends the process. One during start-up is done once started.
  let reloadWhenStarted = false;
  const onHangup = () => {
    log.info({ signal: 'SIGHUP' }, 'signal received: reloading the policy');
    if (daemon) daemon.context.reloadPolicy();
    else reloadWhenStarted = true;
  };
  process.on('SIGHUP', onHangup);
  try {
    daemon = await startDaemon(config, log, { sockets, notifier });
  } catch (err) {
    process.off('SIGHUP', onHangup);
    await notifier.close();
    throw err;
  }
  if (reloadWhenStarted) daemon.context.reloadPolicy();
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'signal received');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  process.off('SIGHUP', onHangup);
  await daemon.stop();
  await notifier.close();
  return 0;
}

export function migrateCommand(args: string[], io: CliIO): number {
  const { values } = parseFlags(args, dbFlag);
  if (values.help) {
    io.stdout(migrateHelp);
    return 0;
  }
  const config = configFrom(io, { db: values.db });
  const { db, migration } = openMigratedDatabase(config.dbPath);
  db.close();
  io.stdout(
    migration.applied.length === 0
      ? `${config.dbPath}: schema is up to date (version ${migration.to})\n`
      : `${config.dbPath}: migrated from version ${migration.from} to ${migration.to} (${migration.applied.join(', ')})\n`,
  );
  return 0;
}

export function tokenCommand(args: string[], io: CliIO): number {
  const [sub, ...rest] = args;
  const helped = subcommandHelp(sub, tokenHelp, io);
  if (helped !== undefined) return helped;
  const { values, positionals } = parseFlags(
    rest,
    { ...dbFlag, name: { type: 'string' }, scope: { type: 'string', multiple: true }, expires: { type: 'string' } },
    true,
  );
  if (values.help) {
    io.stdout(tokenHelp);
    return 0;
  }
  const config = configFrom(io, { db: values.db });
  const withStores = <T>(fn: (tokens: TokenStore, audit: AuditStore) => T): T => {
    const { db } = openMigratedDatabase(config.dbPath);
    try {
      return fn(new TokenStore(db), new AuditStore(db));
    } finally {
      db.close();
    }
  };
  switch (sub) {
    case 'create': {
      if (!values.name || positionals.length > 0) throw new UsageError('token create needs --name NAME and nothing else');
      const name = values.name;
      const scopes = (values.scope ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
      const unknown = scopes.filter((s) => !isScope(s));
      if (unknown.length > 0) throw new UsageError(`unknown scope ${unknown.join(', ')}; scopes are ${SCOPES.join(', ')}`);
      let expiresAt: Date | undefined;
      if (values.expires !== undefined) {
        const ms = parseDuration(values.expires);
        if (ms === undefined || ms <= 0) throw new UsageError(`--expires "${values.expires}" must be a duration such as 30d, 12h or 90m`);
        expiresAt = new Date(Date.now() + ms);
      }
      const granted = (scopes.length > 0 ? scopes : DEFAULT_SCOPES) as Scope[];
      let token: string;
      try {
        token = withStores((tokens, audit) => {
          const created = tokens.create(name, { scopes: granted, ...(expiresAt ? { expiresAt } : {}) });
          audit.append({ type: 'token.created', actor: 'cli', data: { name, scopes: granted, expiresAt: expiresAt?.toISOString() ?? null } });
          return created;
        });
      } catch (err) {
        if (err instanceof TokenNameTakenError) {
          io.stderr(`podman-debugd: ${err.message}; revoke it or choose another name\n`);
          return 1;
        }
        if (err instanceof Error && /must be 1-64 characters/.test(err.message)) throw new UsageError(err.message);
        throw err;
      }
      io.stdout(`${token}\n`);
      io.stderr(
        `token "${name}" created with scopes ${granted.join(' ')}${expiresAt ? `, expiring ${expiresAt.toISOString()}` : ''}; ` +
          'it is shown only this once. Use it as: Authorization: Bearer <token>\n',
      );
      return 0;
    }
    case 'list': {
      if (positionals.length > 0 || values.name) throw new UsageError('token list takes no arguments');
      const rows = withStores((tokens) => tokens.list());
      if (rows.length === 0) {
        io.stdout('no tokens; create one with: podman-debugd token create --name NAME\n');
        return 0;
      }
      io.stdout(
        table(
          ['NAME', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED', 'STATUS'],
          rows.map((t) => [
            t.name,
            t.scopes.join(','),
            t.createdAt,
            t.expiresAt ?? '-',
            t.lastUsedAt ?? '-',
            t.revokedAt ? `revoked ${t.revokedAt}` : t.expiresAt && t.expiresAt <= new Date().toISOString() ? 'expired' : 'active',
          ]),
        ),
      );
      return 0;
    }
    case 'revoke': {
      const name = positionals[0] ?? values.name;
      if (!name || positionals.length > 1) throw new UsageError('token revoke needs exactly one NAME');
      const revoked = withStores((tokens, audit) => {
        const done = tokens.revoke(name);
        if (done) audit.append({ type: 'token.revoked', actor: 'cli', data: { name } });
        return done;
      });
      if (!revoked) {
        io.stderr(`podman-debugd: no active token named "${name}"\n`);
        return 1;
      }
      io.stdout(`token "${name}" revoked\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown token command "${sub}"`);
  }
}

/** No subcommand: help on stderr, exit 2. `help`/`--help`: help on stdout, exit 0. Else undefined. */
export function subcommandHelp(sub: string | undefined, help: string, io: CliIO): number | undefined {
  if (sub === undefined) {
    io.stderr(help);
    return 2;
  }
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout(help);
    return 0;
  }
  return undefined;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function auditCommand(args: string[], io: CliIO): number {
  const [sub, ...rest] = args;
  const helped = subcommandHelp(sub, auditHelp, io);
  if (helped !== undefined) return helped;
  if (sub !== 'verify') throw new UsageError(`unknown audit command "${sub}"`);
  const { values, positionals } = parseFlags(rest, dbFlag);
  if (values.help) {
    io.stdout(auditHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError('audit verify takes no arguments');
  const config = configFrom(io, { db: values.db });
  const { db } = openMigratedDatabase(config.dbPath);
  try {
    const verdict = new AuditStore(db).verify();
    if (verdict.ok) {
      io.stdout(`audit chain intact: ${verdict.count} events verified\n`);
      return 0;
    }
    io.stdout(`audit chain broken at seq ${verdict.seq}: ${verdict.reason} (${verdict.verified} events before it verified)\n`);
    return 1;
  } finally {
    db.close();
  }
}
