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
    const launched = await launchPodmanService({ binary: config.podmanBinary, socketPath: own, log });
    log.info({ socket: own, podmanPid: launched.pid }, 'started our own Podman service; it stops when podman-debugd stops');
    return { socketPath: own, launched };
  } catch (err) {
    log.error({ err }, 'could not start a Podman service; /readyz reports not ready');
    return { socketPath: configured, launched: null };
  }
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
