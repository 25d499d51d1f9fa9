import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { type Config, type ConfigFlags, loadConfig } from '../../src/config/config.js';
import { type AppContext, createContext } from '../../src/context.js';
import type { NewSession } from '../../src/sessions/session-store.js';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestDaemon {
  readonly ctx: AppContext;
  readonly config: Config;
  readonly token: string;
  readonly dir: string;
  /** Calls the API in-process through app.request(); JSON in, JSON (or text) out. */
  api<T = any>(method: string, path: string, options?: { body?: unknown; token?: string | null; headers?: Record<string, string>; raw?: string }): Promise<ApiResponse<T>>;
  /** Starts lease expiry, the event stream and reconciliation, as `serve` does. */
  startBackground(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A daemon context on a fresh database, talking to the given Podman socket (a real one in
 * integration tests, a missing one in HTTP tests that must never reach Podman).
 */
export function startTestDaemon(options: {
  podmanSocket: string;
  flags?: ConfigFlags;
  env?: Record<string, string>;
  /** A policy document, written to policy.json in the daemon's directory and passed as --policy. */
  policy?: unknown;
  /** The daemon's logger (default: silent, or TEST_LOG's level on stderr). */
  log?: Logger;
}): TestDaemon {
  const dir = mkdtempSync(join(tmpdir(), 'podman-debugd-daemon-'));
  const policyFlag: ConfigFlags = {};
  if (options.policy !== undefined) {
    policyFlag.policy = join(dir, 'policy.json');
    writeFileSync(policyFlag.policy, JSON.stringify(options.policy));
  }
  const config = loadConfig({
    flags: { db: join(dir, 'test.db'), podmanSocket: options.podmanSocket, ...policyFlag, ...options.flags },
    // Tests call the API far faster than a person would: the per-principal rate limit is off
    // unless a test turns it on (test/http/rate-limit.test.ts does).
    env: { PODMAN_DEBUGD_START_PODMAN: 'never', PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND: '0', PODMAN_DEBUGD_AUTH_FAILURES_PER_MINUTE: '0', ...options.env },
    cwd: dir,
    uid: 0,
  });
  // TEST_LOG=debug shows the daemon's log on stderr while debugging a test.
  const ctx = createContext(config, options.log ?? pino({ level: process.env.TEST_LOG ?? 'silent' }, pino.destination(2)));
  const token = ctx.tokens.create('tester');
  return {
    ctx,
    config,
    token,
    dir,
    async api(method, path, { body, token: tokenOverride, headers = {}, raw } = {}) {
      const h: Record<string, string> = { ...headers };
      const bearer = tokenOverride === undefined ? token : tokenOverride;
      if (bearer !== null) h.authorization = `Bearer ${bearer}`;
      let payload: string | undefined = raw;
      if (body !== undefined) {
        payload = JSON.stringify(body);
        h['content-type'] ??= 'application/json';
      }
      const response = await ctx.app.request(path, { method, headers: h, body: payload });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON; keep the text
      }
      return { status: response.status, headers: response.headers, body: parsed as any };
    },
    startBackground: () => ctx.background.start(),
    async close() {
      await ctx.background.stop();
      ctx.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A `creating` session row as the daemon writes it before calling Podman, for tests that need
 * sessions without making sidecars (pagination, ownership, crash leftovers). Override what matters.
 */
export function creatingSessionRow(overrides: Partial<NewSession> & { id: string }, createdAt = new Date()): NewSession {
  const lease = new Date(createdAt.getTime() + 60_000).toISOString();
  return {
    targetId: 'f'.repeat(64),
    targetName: 'app',
    targetImage: 'img',
    sidecarName: `debug-app-${overrides.id.slice(-6)}`,
    sidecarImage: 'toolbox',
    requestedBy: 'tester',
    reason: null,
    command: null,
    ttlSeconds: 60,
    maxLifetimeSeconds: 60,
    profile: 'general',
    createdAt: createdAt.toISOString(),
    expiresAt: lease,
    hardExpiresAt: lease,
    ...overrides,
  };
}
