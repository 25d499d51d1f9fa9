import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Counter, Histogram, Registry } from 'prom-client';
import type { DenialReason as PolicyDenialReason } from '../policy/decide.js';
import { PROFILES, type Profile } from '../sessions/profiles.js';

/**
 * Every label value is one of the fixed lists below (or an HTTP status), never an id, a principal,
 * a target name or a URL: a Prometheus series per session or per person would grow without bound.
 */

/** Where a session request came from. Chat front ends pass their own source to SessionService.create. */
export const SESSION_SOURCES = ['api', 'slack', 'mattermost'] as const;
export type SessionSource = (typeof SESSION_SOURCES)[number];

/**
 * What became of a create request that reached the session service: `created` (the sidecar runs),
 * `denied` (the policy refused), `rejected` (bad target or lifetimes: nothing was attempted),
 * `failed` (Podman or an image pull failed; the attempt is recorded as a failed session).
 */
export const CREATE_OUTCOMES = ['created', 'denied', 'rejected', 'failed'] as const;
export type CreateOutcome = (typeof CREATE_OUTCOMES)[number];

/**
 * Why the daemon (not a user) removed a sidecar: every session end reason but `ended-by-user`
 * (session-service.ts fails to compile if a new one is missing here), plus crash leftovers.
 */
export const REAP_REASONS = ['expired', 'target-exited', 'sidecar-exited', 'lost', 'abandoned', 'orphaned'] as const;
export type ReapReason = (typeof REAP_REASONS)[number];

const POLICY_REASONS = [
  'no-rule',
  'target-denied',
  'target-not-allowed',
  'image-not-allowed',
  'profile-not-allowed',
  'ttl-too-long',
  'lifetime-too-long',
  'reason-required',
  'principal-session-limit',
  'total-session-limit',
] as const satisfies readonly PolicyDenialReason[];

/**
 * Why a request was refused: the bearer token (401: `token-*`), a missing scope or another
 * principal's session (403), the policy (403: `policy-*`), the per-principal rate limit (429:
 * `rate-limited`) or the limit on failed authentications per client address (429).
 */
export const DENIAL_REASONS = [
  'token-missing',
  'token-malformed',
  'token-unknown',
  'token-revoked',
  'token-expired',
  'missing-scope',
  'not-owner',
  'rate-limited',
  'auth-failures-limited',
  ...POLICY_REASONS.map((r) => `policy-${r}` as const),
] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

/** The reason for a refused bearer token (`missing`, `revoked`...): always one of the fixed values. */
export function tokenDenial(refused: string): DenialReason {
  const reason = `token-${refused}`;
  return (DENIAL_REASONS as readonly string[]).includes(reason) ? (reason as DenialReason) : 'token-unknown';
}

/** Fixed names of the libpod calls the daemon makes (the `op` label). */
export type PodmanOp =
  | 'ping'
  | 'containerInspect'
  | 'containerList'
  | 'containerCreate'
  | 'containerStart'
  | 'containerRemove'
  | 'imagePull'
  | 'execCreate'
  | 'execStart'
  | 'execInspect';

/** What the rest of the daemon reports; each part takes only the methods it needs. */
export interface MetricsSink {
  sessionCreate(outcome: CreateOutcome, profile: Profile, source: SessionSource): void;
  sessionReaped(reason: ReapReason): void;
  /** `code`: the HTTP status Podman answered, or `error` if it did not answer. */
  podmanRequest(op: PodmanOp, code: number | 'error', seconds: number): void;
  execFinished(seconds: number): void;
  authzDenied(reason: DenialReason): void;
}

export interface MetricsOptions {
  version: string;
  /** Counted from the database at scrape time, so the gauge cannot drift from the truth. */
  activeSessions: () => number;
  /** Node's process metrics (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean;
}

/** What is recorded before prom-client is loaded; past this many events it is loaded anyway. */
const MAX_PENDING = 1000;

interface LiveMetrics {
  registry: Registry;
  created: Counter<'outcome' | 'profile' | 'source'>;
  reaped: Counter<'reason'>;
  podmanDuration: Histogram<'op' | 'code'>;
  execDuration: Histogram;
  denied: Counter<'reason'>;
}

/**
 * The daemon's Prometheus metrics, on a private registry per context (never prom-client's global
 * one), so a test process can run many daemons side by side.
 *
 * prom-client is loaded when /metrics is first scraped (or after MAX_PENDING events), not at start:
 * it cost start-up time and memory for nothing on a daemon nobody scrapes (bench/results/results.md).
 * Until then events are kept, with their values, and replayed in order, so the first scrape shows
 * exactly what it would have. Node's process metrics (GC, event loop lag) start with the first scrape.
 */
export class Metrics implements MetricsSink {
  private live: LiveMetrics | undefined;
  private pending: Array<(live: LiveMetrics) => void> = [];

  constructor(private readonly options: MetricsOptions) {}

  /** The registry (loads prom-client). */
  get registry(): Registry {
    return this.load().registry;
  }

  private load(): LiveMetrics {
    if (this.live) return this.live;
    const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = createRequire(import.meta.url)('prom-client') as typeof PromClient;
    const options = this.options;
    const registry = new Registry();
    const registers = [registry];
    new Gauge({
      name: 'podman_debugd_sessions_active',
      help: 'Debug sessions that are active now (read from the database at scrape time)',
      registers,
      collect() {
        this.set(options.activeSessions());
      },
    });
    const created = new Counter({
      name: 'podman_debugd_sessions_created_total',
      help: 'Session create requests by outcome (created, denied, rejected, failed), profile and source',
      labelNames: ['outcome', 'profile', 'source'],
      registers,
    });
    const reaped = new Counter({
      name: 'podman_debugd_reaped_total',
      help: 'Sidecars the daemon removed without a user asking, by reason',
      labelNames: ['reason'],
      registers,
    });
    const podmanDuration = new Histogram({
      name: 'podman_debugd_podman_request_duration_seconds',
      help: 'Duration of libpod API calls by operation and HTTP status (error: no answer); execStart until the output starts',
      labelNames: ['op', 'code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600],
      registers,
    });
    const execDuration = new Histogram({
      name: 'podman_debugd_exec_duration_seconds',
      help: 'Duration of commands run in debug sessions, timed-out ones included',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    const denied = new Counter({
      name: 'podman_debugd_authz_denied_total',
      help: 'Refused requests by reason: token-* (401); missing-scope, not-owner, policy-* (403); rate-limited, auth-failures-limited (429)',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'podman_debugd_build_info',
      help: 'Always 1; the labels say which podman-debugd and Node.js run',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: options.version, node: process.version }, 1);

    // Known series start at 0, so rate() and absent() work before the first event.
    for (const source of SESSION_SOURCES) {
      for (const profile of PROFILES) {
        for (const outcome of CREATE_OUTCOMES) created.inc({ outcome, profile, source }, 0);
      }
    }
    for (const reason of REAP_REASONS) reaped.inc({ reason }, 0);
    for (const reason of DENIAL_REASONS) denied.inc({ reason }, 0);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

    const live: LiveMetrics = { registry, created, reaped, podmanDuration, execDuration, denied };
    this.live = live;
    for (const replay of this.pending) replay(live);
    this.pending = [];
    return live;
  }

  private record(event: (live: LiveMetrics) => void): void {
    if (this.live) {
      event(this.live);
      return;
    }
    this.pending.push(event);
    if (this.pending.length >= MAX_PENDING) this.load();
  }

  sessionCreate(outcome: CreateOutcome, profile: Profile, source: SessionSource): void {
    this.record((m) => m.created.inc({ outcome, profile, source }));
  }

  sessionReaped(reason: ReapReason): void {
    this.record((m) => m.reaped.inc({ reason }));
  }

  podmanRequest(op: PodmanOp, code: number | 'error', seconds: number): void {
    this.record((m) => m.podmanDuration.observe({ op, code: String(code) }, seconds));
  }

  execFinished(seconds: number): void {
    this.record((m) => m.execDuration.observe(seconds));
  }

  authzDenied(reason: DenialReason): void {
    this.record((m) => m.denied.inc({ reason }));
  }

  /** The text exposition format, as Prometheus scrapes it. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    const { registry } = this.load();
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
}
