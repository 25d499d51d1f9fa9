import type { Logger } from '../log/logger.js';
import type { MetricsSink } from '../metrics/metrics.js';
import type { PodmanClient } from '../podman/client.js';
import type { ContainerListEntry } from '../podman/types.js';
import { DAEMON_ACTOR, LABEL_MANAGED, LABEL_SESSION, LIVE_STATES } from './session.js';
import type { SessionService } from './session-service.js';
import type { SessionStore } from './session-store.js';

export interface ReconcileReport {
  orphansRemoved: number;
  sessionsLost: number;
  abandonedFailed: number;
}

/**
 * Makes Podman and the database agree, whatever happened while we were not looking (a crash, a
 * kill -9, a Podman outage, events missed):
 * - a managed sidecar without an active session is an orphan and is removed;
 * - an active session whose sidecar or target is gone (or not running) is ended as `lost`;
 * - a session left `creating` by a crash has its sidecar removed and is recorded as failed.
 * Sessions this process is creating or ending right now are left to that request.
 */
export class Reconciler {
  private running: Promise<ReconcileReport> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSuccess: Date | undefined;

  constructor(
    private readonly podman: PodmanClient,
    private readonly store: SessionStore,
    private readonly sessions: SessionService,
    private readonly log: Logger,
    private readonly metrics?: Pick<MetricsSink, 'sessionReaped'>,
  ) {}

  get reconciledAt(): Date | undefined {
    return this.lastSuccess;
  }

  /** Runs now, or joins the run already under way. */
  reconcile(): Promise<ReconcileReport> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  startPeriodic(intervalSeconds: number): void {
    this.timer = setInterval(() => {
      this.reconcile().catch((err) => this.log.warn({ err }, 'periodic reconciliation failed'));
    }, intervalSeconds * 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<ReconcileReport> {
    const report: ReconcileReport = { orphansRemoved: 0, sessionsLost: 0, abandonedFailed: 0 };
    // Snapshot what was active and creating *before* asking Podman, so a session that becomes
    // active while we look is never mistaken for one whose sidecar is missing.
    const activeBefore = this.store.idsInState('active');
    const creatingBefore = this.store.idsInState('creating');
    const containers = await this.podman.listContainers();
    const byId = new Map(containers.map((c) => [c.Id, c]));
    const sidecarsBySession = new Map<string, ContainerListEntry[]>();
    for (const c of containers) {
      if (c.Labels?.[LABEL_MANAGED] !== 'true') continue;
      const sid = c.Labels[LABEL_SESSION] ?? '';
      sidecarsBySession.set(sid, [...(sidecarsBySession.get(sid) ?? []), c]);
    }

    for (const id of creatingBefore) {
      if (this.sessions.isBusy(id)) continue;
      let removed = false;
      for (const sidecar of sidecarsBySession.get(id) ?? []) removed = (await this.podman.removeContainer(sidecar.Id)) || removed;
      sidecarsBySession.delete(id);
      this.sessions.failAbandoned(id, removed);
      report.abandonedFailed++;
    }

    for (const id of activeBefore) {
      if (this.sessions.isBusy(id)) continue;
      const session = this.store.get(id);
      if (session?.state !== 'active') continue;
      const sidecar = session.sidecar.id ? byId.get(session.sidecar.id) : undefined;
      const target = byId.get(session.target.id);
      if (sidecar && LIVE_STATES.has(sidecar.State) && target && LIVE_STATES.has(target.State)) continue;
      this.log.warn(
        { sessionId: id, sidecar: sidecar?.State ?? 'gone', target: target?.State ?? 'gone' },
        'session lost its sidecar or target; ending it',
      );
      await this.sessions.end(id, 'lost', DAEMON_ACTOR);
      sidecarsBySession.delete(id);
      report.sessionsLost++;
    }

    for (const [id, sidecars] of sidecarsBySession) {
      if (this.sessions.isBusy(id)) continue;
      if (this.store.get(id)?.state === 'active') continue;
      for (const sidecar of sidecars) {
        if (await this.podman.removeContainer(sidecar.Id)) {
          this.log.warn({ sidecar: sidecar.Names[0], sessionId: id || null }, 'removed an orphaned sidecar');
          report.orphansRemoved++;
          this.metrics?.sessionReaped('orphaned');
        }
      }
    }
    this.lastSuccess = new Date();
    if (report.orphansRemoved + report.sessionsLost + report.abandonedFailed > 0) this.log.info(report, 'reconciled');
    return report;
  }
}
