import type { Logger } from './log/logger.js';
import { type EventFollower, followEvents } from './podman/event-stream.js';
import type { EventReactor } from './sessions/event-reactor.js';
import type { LeaseKeeper } from './sessions/lease-keeper.js';
import type { Reconciler } from './sessions/reconciler.js';

/**
 * The daemon's background work: lease expiry, Podman's event stream, and reconciliation (at start,
 * periodically, and whenever the event stream comes back after an outage).
 */
export class Background {
  private events: EventFollower | undefined;
  private started = false;

  constructor(
    private readonly socketPath: string,
    private readonly leases: LeaseKeeper,
    private readonly reactor: EventReactor,
    private readonly reconciler: Reconciler,
    private readonly reconcileIntervalSeconds: number,
    private readonly log: Logger,
  ) {}

  get eventsConnected(): boolean {
    return this.events?.connected ?? false;
  }

  /** Reconciles once (if Podman answers), then starts everything. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      const report = await this.reconciler.reconcile();
      this.log.info(report, 'startup reconciliation done');
    } catch (err) {
      this.log.warn({ err }, 'startup reconciliation could not run; it runs when Podman answers');
    }
    this.leases.start();
    this.reconciler.startPeriodic(this.reconcileIntervalSeconds);
    let firstConnect: () => void = () => undefined;
    const connectedOnce = new Promise<void>((resolve) => (firstConnect = resolve));
    this.events = followEvents(
      this.socketPath,
      {
        onEvent: (event) => this.reactor.handle(event),
        onConnect: (reconnected) => {
          firstConnect();
          if (!reconnected && this.reconciler.reconciledAt) return;
          this.log.info('Podman event stream connected; reconciling what may have been missed');
          this.reconciler.reconcile().catch((err) => this.log.warn({ err }, 'reconciliation after reconnect failed'));
        },
        onDisconnect: () => undefined,
      },
      this.log,
    );
    // Give the event stream a moment to connect, so readiness is true once we listen.
    await Promise.race([connectedOnce, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.events?.stop();
    this.events = undefined;
    await this.leases.stop();
    await this.reconciler.stop();
    await this.reactor.idle();
  }
}
