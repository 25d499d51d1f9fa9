import type { Logger } from '../log/logger.js';
import type { PodmanClient } from '../podman/client.js';
import type { PodmanEvent } from '../podman/event-stream.js';
import { DAEMON_ACTOR, LABEL_MANAGED, LABEL_SESSION, LIVE_STATES } from './session.js';
import type { SessionService } from './session-service.js';
import type { SessionStore } from './session-store.js';

/** Container events after which a target no longer runs the process its sidecars were attached to. */
const TARGET_GONE = new Set(['died', 'stop', 'remove', 'restart', 'cleanup']);
/** Events that mean a sidecar stopped. */
const SIDECAR_GONE = new Set(['died', 'remove', 'cleanup']);

/**
 * Reacts to Podman's events: when a target stops, dies, restarts or is removed, its sessions end
 * (`target-exited`) and their sidecars are removed, so the target can be removed or redeployed at
 * once (a sidecar in its namespaces would block that: podman#18180). A sidecar that dies on its own
 * ends its session (`sidecar-exited`). Events are handled in order, one at a time.
 */
export class EventReactor {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly podman: PodmanClient,
    private readonly store: SessionStore,
    private readonly sessions: SessionService,
    private readonly log: Logger,
  ) {}

  handle(event: PodmanEvent): void {
    this.log.debug({ status: event.status, id: event.id, name: event.attributes.name }, 'podman event');
    if (event.type && event.type !== 'container') return;
    this.queue = this.queue.then(() => this.react(event)).catch((err) => this.log.warn({ err, event }, 'could not react to a Podman event'));
  }

  /** Resolves when every event received so far has been handled. */
  idle(): Promise<void> {
    return this.queue;
  }

  private async react(event: PodmanEvent): Promise<void> {
    if (event.attributes[LABEL_MANAGED] === 'true') {
      if (!SIDECAR_GONE.has(event.status)) return;
      const id = event.attributes[LABEL_SESSION];
      if (!id || this.sessions.isBusy(id)) return;
      const session = this.store.get(id);
      if (session?.state !== 'active') return;
      // A target's death kills its pidns sidecars at the same instant, and the sidecar's event may
      // come first: only a sidecar whose target still runs exited on its own.
      const target = await this.podman.inspectContainer(session.target.id).catch(() => null);
      const reason = target && LIVE_STATES.has(target.State.Status) ? 'sidecar-exited' : 'target-exited';
      this.log.info({ sessionId: id, status: event.status, reason }, 'sidecar is gone; ending its session');
      await this.sessions.end(id, reason, DAEMON_ACTOR);
      return;
    }
    if (!TARGET_GONE.has(event.status)) return;
    const ids = this.store.activeIdsForTarget(event.id);
    if (ids.length === 0) return;
    this.log.info({ target: event.attributes.name ?? event.id, status: event.status, sessions: ids }, 'target stopped; ending its sessions');
    await Promise.all(ids.map((id) => this.sessions.end(id, 'target-exited', DAEMON_ACTOR)));
  }
}
