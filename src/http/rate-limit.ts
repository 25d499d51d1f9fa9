import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors.js';
import { redactTokens } from '../log/redact.js';
import type { ApiDeps, AppEnv } from './app-env.js';

export interface TokenBucketOptions {
  /** Tokens added per second (> 0). */
  perSecond: number;
  /** Bucket size: requests allowed at once (>= 1). */
  burst: number;
  /** Most buckets kept. Idle ones go first, then the least recently used. Default 10 000. */
  maxBuckets?: number;
  /** A key's refusals are reported at most once per this many milliseconds. Default 60 000. */
  reportWindowMs?: number;
  /** Monotonic clock in milliseconds (injected by tests). Default performance.now. */
  now?: () => number;
}

export type TakeResult =
  | { allowed: true }
  | {
      allowed: false;
      /** Whole seconds (>= 1) until the bucket holds a token again. */
      retryAfterSeconds: number;
      /** Set on the first refusal of a report window: how many refusals it covers (this one included). */
      report: { refused: number } | null;
    };

interface Bucket {
  tokens: number;
  at: number;
  /** When a refusal was last reported; null if never. */
  reportedAt: number | null;
  /** Refusals since the last report. */
  refused: number;
}

/**
 * Token buckets keyed by principal; pure (the clock is injected). A bucket starts full with `burst`
 * tokens, each request takes one, and `perSecond` tokens flow back in up to `burst`. A bucket that is
 * full again and has no refusal report pending in its window is the same as no bucket, so it is
 * dropped; the map never holds more than `maxBuckets` entries.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly maxBuckets: number;
  private readonly reportWindowMs: number;
  private readonly now: () => number;
  private lastSweep: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.perSecond > 0)) throw new RangeError('perSecond must be > 0');
    if (!(options.burst >= 1)) throw new RangeError('burst must be >= 1');
    this.perSecond = options.perSecond;
    this.burst = options.burst;
    this.maxBuckets = Math.max(1, options.maxBuckets ?? 10_000);
    this.reportWindowMs = options.reportWindowMs ?? 60_000;
    this.now = options.now ?? (() => performance.now());
    this.lastSweep = this.now();
  }

  /** Buckets currently held. */
  get size(): number {
    return this.buckets.size;
  }

  take(key: string): TakeResult {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.refill(bucket, now);
      this.buckets.delete(key); // re-inserted below: the map stays in least-recently-used order
    } else {
      bucket = { tokens: this.burst, at: now, reportedAt: null, refused: 0 };
    }
    this.buckets.set(key, bucket);

    let result: TakeResult;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      result = { allowed: true };
    } else {
      bucket.refused += 1;
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
      let report: { refused: number } | null = null;
      if (bucket.reportedAt === null || now - bucket.reportedAt >= this.reportWindowMs) {
        report = { refused: bucket.refused };
        bucket.reportedAt = now;
        bucket.refused = 0;
      }
      result = { allowed: false, retryAfterSeconds, report };
    }
    this.evict(now);
    return result;
  }

  private refill(bucket: Bucket, now: number): void {
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed / 1000) * this.perSecond);
    bucket.at = now;
  }

  /** Full again, and no report window still open: forgetting it changes nothing. */
  private isIdle(bucket: Bucket, now: number): boolean {
    const tokens = bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.perSecond;
    return tokens >= this.burst && (bucket.reportedAt === null || now - bucket.reportedAt >= this.reportWindowMs);
  }

  private evict(now: number): void {
    const over = this.buckets.size > this.maxBuckets;
    if (!over && now - this.lastSweep < this.reportWindowMs) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (this.isIdle(bucket, now)) this.buckets.delete(key);
    }
    // Still too many busy principals: forget the least recently used (they get a fresh burst).
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxBuckets) break;
      this.buckets.delete(key);
    }
  }
}

export interface RateLimitSettings {
  /** Requests per second per principal; 0 turns the limit off. */
  perSecond: number;
  burst: number;
}

/**
 * /v1 middleware, after requireToken: one token bucket per authenticated principal. Over the limit
 * the answer is 429 with Retry-After. A principal's refusals are logged (warn) and audited
 * (`rate.limited`) once when they start and then at most once per report window, never per 429,
 * so a client hammering the API cannot flood the log or the audit table.
 */
export function rateLimit(
  deps: Pick<ApiDeps, 'audit' | 'log'> & Partial<Pick<ApiDeps, 'metrics'>>,
  settings: RateLimitSettings,
  options: Omit<TokenBucketOptions, 'perSecond' | 'burst'> = {},
): MiddlewareHandler<AppEnv> {
  if (settings.perSecond <= 0) return async (_c, next) => next();
  const buckets = new TokenBuckets({ ...options, perSecond: settings.perSecond, burst: settings.burst });
  const windowSeconds = Math.round((options.reportWindowMs ?? 60_000) / 1000);
  return async (c, next) => {
    const principal = c.get('principal');
    const outcome = buckets.take(principal);
    if (outcome.allowed) return next();
    deps.metrics?.authzDenied('rate-limited');
    const limit = { limitPerSecond: settings.perSecond, burst: settings.burst };
    if (outcome.report) {
      const requestId = c.get('requestId');
      const request = { method: c.req.method, path: redactTokens(c.req.path) };
      deps.log.warn(
        { principal, requestId, ...limit, refused: outcome.report.refused, ...request },
        `rate limit exceeded; more refusals of this principal are not logged for ${windowSeconds} s`,
      );
      try {
        deps.audit.append({
          type: 'rate.limited',
          actor: principal,
          requestId,
          data: { ...limit, refused: outcome.report.refused, ...request },
        });
      } catch (err) {
        // The request is refused either way; a broken audit store must not turn a 429 into a 500.
        deps.log.error({ err, principal, requestId }, 'could not audit a rate limit refusal');
      }
    }
    throw new AppError(
      'rate_limited',
      `rate limit exceeded: at most ${settings.perSecond} requests per second per principal, in bursts of up to ${settings.burst}; retry after ${outcome.retryAfterSeconds} s`,
      { retryAfterSeconds: outcome.retryAfterSeconds, extensions: limit },
    );
  };
}
