import type { PodmanClient } from '../podman/client.js';
import { LABEL_MANAGED } from '../sessions/session.js';
import type { SessionStore } from '../sessions/session-store.js';

export interface DebuggableContainer {
  id: string;
  name: string;
  image: string;
  state: string;
  pod: string | null;
  activeSessions: number;
}

/** Containers one could debug: everything Podman has, less our own sidecars and pod infra containers. */
export class ContainerCatalog {
  constructor(
    private readonly podman: PodmanClient,
    private readonly sessions: SessionStore,
  ) {}

  async list(): Promise<DebuggableContainer[]> {
    const containers = await this.podman.listContainers();
    const counts = this.sessions.activeCountsByTarget();
    return containers
      .filter((c) => c.Labels?.[LABEL_MANAGED] !== 'true' && !c.IsInfra)
      .map((c) => ({
        id: c.Id,
        name: c.Names[0] ?? c.Id.slice(0, 12),
        image: c.Image,
        state: c.State,
        pod: c.PodName || c.Pod || null,
        activeSessions: counts.get(c.Id) ?? 0,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}
