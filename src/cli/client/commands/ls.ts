import type { CliIO } from '../../usage.js';
import { UsageError, parseFlags } from '../../usage.js';
import type { SessionView } from '../api-client.js';
import { COMMON_FLAGS, printJson, withClient } from '../client-command.js';
import { lsHelp } from '../help.js';
import { ago, formatTable, until } from '../output.js';
import { shortId } from '../session-ref.js';
import { truncate } from '../table.js';

/** `ls [--all]`: the caller's sessions (everyone's for admin), newest first. */
export async function lsCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(args, { ...COMMON_FLAGS, all: { type: 'boolean', short: 'a' }, target: { type: 'string' } }, true);
  if (values.help) {
    io.stdout(lsHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError('ls takes no arguments (use --target NAME to filter)');
  return withClient(io, values, 1, async ({ client, now }) => {
    const sessions: SessionView[] = [];
    for await (const session of client.sessions(values.all ? 'all' : 'active', values.target)) sessions.push(session);
    if (values.json) {
      printJson(io, sessions);
      return 0;
    }
    if (sessions.length === 0) {
      io.stdout(values.all ? 'no sessions\n' : 'no active sessions (ls --all shows ended ones)\n');
      return 0;
    }
    io.stdout(formatTable(['ID', 'TARGET', 'PROFILE', 'STATE', 'OWNER', 'CREATED', 'EXPIRES', 'SIDECAR', 'REASON'], sessions.map((s) => row(s, now))));
    return 0;
  });
}

function row(s: SessionView, now: number): string[] {
  const live = s.state === 'active' || s.state === 'creating';
  return [
    shortId(s.id),
    s.target.name,
    s.profile,
    s.endReason ? `${s.state} (${s.endReason})` : s.state,
    s.requestedBy,
    ago(s.createdAt, now),
    live ? until(s.expiresAt, now) : '-',
    s.sidecar.name,
    truncate(s.reason ?? '', 40),
  ];
}
