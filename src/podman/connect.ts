import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { PodmanClient } from './client.js';
import { type LaunchedPodman, findExecutable, launchPodmanService } from './service-launcher.js';

export interface PodmanConnection {
  socketPath: string;
  /** Set when we started `podman system service` ourselves and must stop it on exit. */
  launched: LaunchedPodman | null;
}

/** Where a Podman service started by podman-debugd itself listens. */
export function ownSocketPath(stateDir: string): string {
  return join(stateDir, 'podman', 'podman.sock');
}

/**
 * Chooses the Podman socket: the configured or discovered one if it answers; else, unless told not
 * to, one we already started earlier (still answering in our state directory) or a new
 * `podman system service` of our own. If nothing works we still return the configured socket so the
 * daemon runs, reports not-ready and recovers when Podman appears.
 */
export async function connectPodman(config: Config, log: Logger): Promise<PodmanConnection> {
  const configured = config.podmanSocket.path;
  if (await answers(configured)) return { socketPath: configured, launched: null };
  const mayLaunch = config.startPodman === 'auto' && config.podmanSocket.source !== 'configured';
  if (!mayLaunch) {
    log.warn({ socket: configured }, 'the Podman socket does not answer; serving anyway, /readyz reports not ready');
    return { socketPath: configured, launched: null };
  }
  const own = ownSocketPath(config.stateDir);
  if (await answers(own)) {
    log.info({ socket: own }, 'using the Podman service podman-debugd started earlier');
    return { socketPath: own, launched: null };
  }
  if (!findExecutable(config.podmanBinary)) {
    log.error({ socket: configured }, 'no Podman socket answers and podman is not installed; /readyz reports not ready');
    return { socketPath: configured, launched: null };
  }
  log.info({ socket: own, unanswered: configured }, 'no Podman socket answers; starting `podman system service` ourselves');
  try {
    const launched = await superviseOwnPodman(() => launchPodmanService({ binary: config.podmanBinary, socketPath: own, log }), log);
    return { socketPath: own, launched };
  } catch (err) {
    log.error({ err }, 'could not start a Podman service; /readyz reports not ready');
    return { socketPath: configured, launched: null };
  }
}

/**
 * Keeps the Podman service we started running: if it exits on its own it is started again after a
 * second, so the daemon recovers as it would from any Podman outage. stop() ends that for good.
 */
async function superviseOwnPodman(launch: () => Promise<LaunchedPodman>, log: Logger): Promise<LaunchedPodman> {
  let current = await launch();
  let stopping = false;
  log.info({ socket: current.socketPath, podmanPid: current.pid }, 'started our own Podman service; it stops when podman-debugd stops');
  const watch = async (): Promise<void> => {
    while (!stopping) {
      await current.exited;
      if (stopping) return;
      log.warn({ podmanPid: current.pid }, 'the Podman service we started exited; starting it again');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (stopping) return;
      try {
        current = await launch();
        log.info({ podmanPid: current.pid }, 'restarted our own Podman service');
      } catch (err) {
        log.error({ err }, 'could not restart our own Podman service; trying again');
      }
    }
  };
  const watching = watch();
  return {
    socketPath: current.socketPath,
    get pid() {
      return current.pid;
    },
    get exited() {
      return current.exited;
    },
    async stop() {
      stopping = true;
      await current.stop();
      await watching;
    },
  };
}

async function answers(socketPath: string): Promise<boolean> {
  const client = new PodmanClient({ socketPath, timeoutMs: 2000 });
  try {
    await client.ping(1500);
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}
