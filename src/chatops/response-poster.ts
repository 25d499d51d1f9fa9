import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.js';

/** Where response_url posts may go: an exact scheme, host and port. */
export interface AllowedOrigin {
  readonly scheme: 'https' | 'http';
  readonly host: string;
  readonly port: number;
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Parses an allowed-host entry of the chatops file. A bare host name (`hooks.slack.com`) allows
 * https on port 443 only; plain http, or another port, must be spelled out as an origin
 * (`http://127.0.0.1:8065`, `https://chat.example.com:8443`), so cleartext is never allowed by accident.
 */
export function parseAllowedOrigin(entry: string): AllowedOrigin | string {
  const text = entry.trim().toLowerCase();
  if (!text.includes('://')) {
    return HOST_NAME.test(text) ? { scheme: 'https', host: text, port: 443 } : `"${entry}" is not a host name (write an origin such as https://host:port for another port or http)`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${entry}" is not a host name or an origin such as https://chat.example.com`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `"${entry}": only https:// and http:// origins are allowed`;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    return `"${entry}": give an origin only (scheme, host and port), without a path, query or user`;
  }
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  return { scheme, host: url.hostname, port: url.port ? Number(url.port) : scheme === 'https' ? 443 : 80 };
}

export function describeOrigin(origin: AllowedOrigin): string {
  const defaultPort = origin.scheme === 'https' ? 443 : 80;
  return `${origin.scheme}://${origin.host}${origin.port === defaultPort ? '' : `:${origin.port}`}`;
}

export type PostOutcome =
  | { ok: true; status: number }
  | { ok: false; reason: 'not-allowed' | 'limit' | 'timeout' | 'network' | 'status'; status?: number };

export interface ResponsePosterOptions {
  /** Most posts to one response_url (Slack allows 5 in 30 minutes). Default 5. */
  maxPostsPerUrl?: number;
  /** How long one post may take. Default 5000 ms. */
  timeoutMs?: number;
  /** How long a response_url is remembered for its count. Default 30 minutes (Slack's validity). */
  rememberMs?: number;
  /** Most response_urls remembered; when full, the oldest are forgotten first. Default 10 000. */
  maxTracked?: number;
  /** Clock in ms (tests inject one). Default Date.now. */
  now?: () => number;
  log: Logger;
}

/**
 * Posts JSON to a platform's response_url. Only to allowed origins (no redirects followed, so a
 * response cannot bounce a post elsewhere), at most `maxPostsPerUrl` times per URL, each with a
 * timeout. It never throws: the outcome is returned and logged, without the URL itself (it is a
 * bearer capability for the channel: house style redacts it).
 */
export class ResponsePoster {
  private readonly counts = new Map<string, { posts: number; firstAt: number }>();
  private readonly maxPostsPerUrl: number;
  private readonly timeoutMs: number;
  private readonly rememberMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(
    private readonly allowed: readonly AllowedOrigin[],
    options: ResponsePosterOptions,
  ) {
    this.maxPostsPerUrl = options.maxPostsPerUrl ?? 5;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.rememberMs = options.rememberMs ?? 30 * 60_000;
    this.maxTracked = options.maxTracked ?? 10_000;
    this.now = options.now ?? Date.now;
    this.log = options.log;
  }

  /** True if `url` is an absolute URL on an allowed origin. */
  allows(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    if (parsed.username || parsed.password) return false;
    const scheme = parsed.protocol === 'https:' ? 'https' : parsed.protocol === 'http:' ? 'http' : null;
    if (!scheme) return false;
    const port = parsed.port ? Number(parsed.port) : scheme === 'https' ? 443 : 80;
    return this.allowed.some((o) => o.scheme === scheme && o.host === parsed.hostname && o.port === port);
  }

  /** Posts left for this URL (for tests and for deciding whether a notice still fits). */
  remaining(url: string): number {
    const entry = this.counts.get(key(url));
    if (!entry || this.now() - entry.firstAt >= this.rememberMs) return this.maxPostsPerUrl;
    return Math.max(0, this.maxPostsPerUrl - entry.posts);
  }

  async post(url: string, body: unknown): Promise<PostOutcome> {
    const host = safeHost(url);
    if (!this.allows(url)) {
      this.log.warn({ host }, 'refused to post to a response_url whose origin is not allowed');
      return { ok: false, reason: 'not-allowed' };
    }
    if (!this.take(url)) {
      this.log.warn({ host, maxPostsPerUrl: this.maxPostsPerUrl }, 'response_url post limit reached; message dropped');
      return { ok: false, reason: 'limit' };
    }
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json, text/plain' },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      this.log.warn({ host, status: response.status }, 'response_url refused the post');
      return { ok: false, reason: 'status', status: response.status };
    } catch (err) {
      const timedOut = (err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError';
      this.log.warn({ host, timeoutMs: this.timeoutMs, error: (err as Error)?.name }, timedOut ? 'response_url post timed out' : 'response_url post failed');
      return { ok: false, reason: timedOut ? 'timeout' : 'network' };
    }
  }

  private take(url: string): boolean {
    const now = this.now();
    const k = key(url);
    let entry = this.counts.get(k);
    if (entry && now - entry.firstAt >= this.rememberMs) {
      this.counts.delete(k);
      entry = undefined;
    }
    if (!entry) {
      entry = { posts: 0, firstAt: now };
      this.counts.set(k, entry);
      this.evict(now);
    }
    if (entry.posts >= this.maxPostsPerUrl) return false;
    entry.posts += 1;
    return true;
  }

  private evict(now: number): void {
    if (this.counts.size <= this.maxTracked) return;
    for (const [k, entry] of this.counts) {
      if (now - entry.firstAt >= this.rememberMs) this.counts.delete(k);
    }
    // Insertion order is age order: forget the oldest URLs (their 30 minutes are nearly over).
    for (const k of this.counts.keys()) {
      if (this.counts.size <= this.maxTracked) break;
      this.counts.delete(k);
    }
  }
}

/** URLs are kept only as hashes: they are capabilities. */
function key(url: string): string {
  return createHash('sha256').update(url).digest('base64url');
}

function safeHost(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
