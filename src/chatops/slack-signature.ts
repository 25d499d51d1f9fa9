import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack refuses to honour requests older than five minutes; so do we, in both directions. */
export const SLACK_TOLERANCE_SECONDS = 300;

export type SignatureVerdict =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' | 'replayed' | 'replay-cache-full' };

export interface SlackSignatureOptions {
  /** Most signatures remembered for replay detection. Default 10 000. */
  maxRemembered?: number;
  /** Clock in milliseconds (tests inject one). Default Date.now. */
  now?: () => number;
}

const SIGNATURE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP = /^[0-9]{1,12}$/;

/** `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` under `secret`: what Slack sends. */
export function slackSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * Verifies Slack's v0 request signatures (X-Slack-Signature over X-Slack-Request-Timestamp and the
 * raw body), see https://api.slack.com/authentication/verifying-requests-from-slack:
 * - any of several signing secrets is accepted, so a secret can be rotated without downtime;
 * - a timestamp more than 300 s from now (either way) is refused;
 * - signatures are compared in constant time;
 * - a signature already accepted is refused until its timestamp has gone stale, so a captured
 *   request cannot be replayed within the window. The memory of signatures is bounded; only
 *   genuinely signed requests enter it, and when it is full new requests are refused (fail closed)
 *   rather than letting old signatures be forgotten early.
 */
export class SlackSignatureVerifier {
  /** Accepted signature -> when its timestamp goes stale (ms); insertion order is arrival order. */
  private readonly seen = new Map<string, number>();
  private readonly maxRemembered: number;
  private readonly now: () => number;

  constructor(
    private readonly secrets: readonly { reveal(): string }[],
    options: SlackSignatureOptions = {},
  ) {
    this.maxRemembered = options.maxRemembered ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Signatures currently remembered. */
  get remembered(): number {
    return this.seen.size;
  }

  verify(timestamp: string | undefined, signature: string | undefined, rawBody: Buffer): SignatureVerdict {
    if (!timestamp || !signature) return { ok: false, reason: 'missing' };
    if (!TIMESTAMP.test(timestamp) || !SIGNATURE.test(signature)) return { ok: false, reason: 'malformed' };
    const now = this.now();
    const sentAt = Number(timestamp) * 1000;
    if (Math.abs(now - sentAt) > SLACK_TOLERANCE_SECONDS * 1000) return { ok: false, reason: 'stale' };

    const given = Buffer.from(signature, 'utf8');
    let matched = false;
    // Every secret is tried, whether or not an earlier one matched: the time taken says nothing.
    for (const secret of this.secrets) {
      const expected = Buffer.from(slackSignature(secret.reveal(), timestamp, rawBody), 'utf8');
      if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
    }
    if (!matched) return { ok: false, reason: 'mismatch' };

    this.forgetStale(now);
    if (this.seen.has(signature)) return { ok: false, reason: 'replayed' };
    if (this.seen.size >= this.maxRemembered) return { ok: false, reason: 'replay-cache-full' };
    this.seen.set(signature, sentAt + SLACK_TOLERANCE_SECONDS * 1000);
    return { ok: true };
  }

  private forgetStale(now: number): void {
    for (const [signature, staleAt] of this.seen) {
      if (staleAt < now) this.seen.delete(signature);
    }
  }
}
