import type { Config } from './config/config.js';
import { formatListenAddress } from './config/listen-address.js';
import { type AppContext, createContext } from './context.js';
import { type HttpServer, listen } from './http/server.js';
import type { Logger } from './log/logger.js';
import { connectPodman } from './podman/connect.js';

export interface RunningDaemon {
  readonly context: AppContext;
  readonly server: HttpServer;
  /** Shutdown in a fixed order: HTTP, then background work, then our Podman service, then the DB. */
  stop(): Promise<void>;
}

/** Starts everything `serve` runs. */
export async function startDaemon(config: Config, log: Logger): Promise<RunningDaemon> {
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

  let server: HttpServer;
  try {
    server = await listen(context.app, config.listen, {
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
    });
  } catch (err) {
    await context.background.stop();
    context.close();
    await podman.launched?.stop();
    throw err;
  }
  log.info({ listen: formatListenAddress(server.address) }, 'podman-debugd is listening');

  let stopping: Promise<void> | undefined;
  return {
    context,
    server,
    stop() {
      stopping ??= (async () => {
        log.info({ graceMs: config.shutdownGraceMs }, 'shutting down');
        await server.close(config.shutdownGraceMs);
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
