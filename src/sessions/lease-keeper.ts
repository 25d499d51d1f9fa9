import type { Logger } from '../log/logger.js';
import { DAEMON_ACTOR } from './session.js';
import type { SessionService } from './session-service.js';
import type { SessionStore } from './session-store.js';

const TICK_MS = 200;

/**
 * Ends sessions whose lease has run out (endReason `expired`), checking five times a second so a
 * session ends within a second of its expiry. If Podman is down the session stays active and is
 * retried on the next tick; Podman's own timeout is the backstop.
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly store: SessionStore,
    private readonly sessions: SessionService,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => (this.running = undefined));
    }, TICK_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async tick(now = new Date()): Promise<void> {
    const expired = this.store.expiredIds(now.toISOString()).filter((id) => !this.sessions.isBusy(id));
    if (expired.length === 0) return;
    const results = await Promise.allSettled(expired.map((id) => this.sessions.end(id, 'expired', DAEMON_ACTOR)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0 && !this.failing) this.log.warn({ err: failed[0]!.reason, count: failed.length }, 'could not end expired sessions; retrying');
    this.failing = failed.length > 0;
  }
}
