import { join } from 'node:path';

export interface PodmanSocketChoice {
  path: string;
  /** Where the path came from, for the log and for deciding whether we may start Podman ourselves. */
  source: 'configured' | 'CONTAINER_HOST' | 'default';
}

/**
 * Finds the Podman socket the way Podman's own remote client does: CONTAINER_HOST first, then the
 * rootful socket for root, else the rootless one under XDG_RUNTIME_DIR.
 */
export function choosePodmanSocket(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  uid: number,
): PodmanSocketChoice | string {
  if (explicit) {
    const path = explicit.startsWith('unix://') ? explicit.slice('unix://'.length) : explicit;
    if (!path.startsWith('/')) return `podman socket "${explicit}" must be an absolute path or unix:///path`;
    return { path, source: 'configured' };
  }
  const host = env.CONTAINER_HOST;
  if (host) {
    if (!host.startsWith('unix://')) {
      return `CONTAINER_HOST="${host}" is not supported: podman-debugd talks to a local unix:// socket only`;
    }
    const path = host.slice('unix://'.length);
    if (!path.startsWith('/')) return `CONTAINER_HOST="${host}" must be unix:///absolute/path`;
    return { path, source: 'CONTAINER_HOST' };
  }
  if (uid === 0) return { path: '/run/podman/podman.sock', source: 'default' };
  const runtimeDir = env.XDG_RUNTIME_DIR || `/run/user/${uid}`;
  return { path: join(runtimeDir, 'podman', 'podman.sock'), source: 'default' };
}
