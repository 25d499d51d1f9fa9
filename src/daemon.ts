import type { Config } from './config/config.js';
import { formatListenAddress } from './config/listen-address.js';
import { type AppContext, createContext } from './context.js';
import type { ReadinessReport } from './http/app-env.js';
import { type HttpServers, type ListenTarget, listenAll } from './http/server.js';
import type { Logger } from './log/logger.js';
import { connectPodman } from './podman/connect.js';
import { type InheritedSocket, unixSocketPath } from './systemd/listen-fds.js';
import { type Notifier, noNotifier } from './systemd/notify.js';

export interface RunningDaemon {
  readonly context: AppContext;
  readonly server: HttpServers;
  /** Shutdown in a fixed order: HTTP, then background work, then our Podman service, then the DB. */
  stop(): Promise<void>;
}

export interface DaemonOptions {
  /** Sockets passed by systemd (socket activation): served instead of config.listen. */
  sockets?: readonly InheritedSocket[];
  /** Tells systemd when the daemon is ready, alive (watchdog) and stopping. */
  notifier?: Notifier;
}

/** Starts everything `serve` runs. */
export async function startDaemon(config: Config, log: Logger, options: DaemonOptions = {}): Promise<RunningDaemon> {
  const { sockets = [], notifier = noNotifier } = options;
  const podman = await connectPodman(config, log.child({ component: 'podman' }));
  let context: AppContext;
  try {
    context = createContext(config, log, podman.socketPath);
  } catch (err) {
    await podman.launched?.stop();
    throw err;
  }
  const { migration } = context;
  if (migration.applied.length > 0) log.info({ from: migration.from, to: migration.to, applied: migration.applied }, 'database migrated');
  log.info({ db: config.dbPath, schemaVersion: migration.to }, 'database open');

  try {
    const version = await context.podman.ping();
    log.info({ socket: podman.socketPath, apiVersion: version.apiVersion, server: version.server }, 'connected to Podman');
  } catch (err) {
    log.warn({ err, socket: podman.socketPath }, 'Podman does not answer yet; routes that need it answer 503');
  }
  if (context.tokens.list().every((t) => t.revokedAt !== null)) {
    log.warn('no API tokens exist yet: create one with `podman-debugd token create --name NAME`');
  }

  // Reconcile before listening, so nothing is served from a database that disagrees with Podman.
  await context.background.start();

  const targets: ListenTarget[] =
    sockets.length > 0 ? sockets.map((s) => ({ kind: 'fd' as const, fd: s.fd, path: unixSocketPath(s.fd) })) : [config.listen];
  if (sockets.length > 0) {
    log.info({ sockets: sockets.map((s) => ({ fd: s.fd, name: s.name })), ignored: formatListenAddress(config.listen) }, 'serving the sockets passed by systemd (socket activation) instead of --listen');
  }
  let server: HttpServers;
  try {
    server = await listenAll(context.app, targets, {
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
    });
  } catch (err) {
    await context.background.stop();
    context.close();
    await podman.launched?.stop();
    throw err;
  }
  const listening = server.addresses.map(formatListenAddress).join(' ');
  log.info({ listen: listening }, 'podman-debugd is listening');

  // The daemon's own health (it answers, its database answers) drives the watchdog. A Podman
  // outage only changes STATUS=: the daemon rides it out and recovers by itself, and a restart
  // would not bring Podman back.
  const describe = (report: ReadinessReport) => {
    const failing = Object.entries(report.checks).filter(([, v]) => v !== 'ok');
    return failing.length === 0 ? `Serving on ${listening}` : `Serving on ${listening}; not ready: ${failing.map(([k, v]) => `${k}: ${v}`).join('; ')}`;
  };
  if (notifier.enabled) await notifier.ready(describe(await context.readiness()));
  notifier.startWatchdog(async () => {
    const report = await context.readiness();
    return { healthy: report.checks.database === 'ok', status: describe(report) };
  });

  let stopping: Promise<void> | undefined;
  return {
    context,
    server,
    stop() {
      stopping ??= (async () => {
        log.info({ graceMs: config.shutdownGraceMs }, 'shutting down');
        await notifier.stopping('Shutting down: finishing requests in flight');
        await server.close(config.shutdownGraceMs);
        // Chat commands acknowledged before the listener closed finish and post their outcome.
        await Promise.race([context.chatops.idle(), new Promise((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref())]);
        await context.background.stop();
        if (podman.launched) {
          await podman.launched.stop();
          log.info('stopped the Podman service we had started');
        }
        context.close();
        log.info('shut down cleanly');
      })();
      return stopping;
    },
  };
}
