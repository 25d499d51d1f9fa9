import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AuditStore } from '../audit/audit-store.js';
import type { TokenStore } from '../auth/token-store.js';
import type { ContainerCatalog } from '../containers/container-catalog.js';
import type { CommandLimits } from './command-limits.js';
import type { RateLimitSettings } from './rate-limit.js';
import type { Logger } from '../log/logger.js';
import type { Actor } from '../sessions/session.js';
import type { SessionService } from '../sessions/session-service.js';

export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set by the auth middleware on /v1 routes. */
    principal: string;
    scopes: ReadonlySet<string>;
  };
}

export type App = OpenAPIHono<AppEnv>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, string>;
}

/** What the HTTP layer needs from the rest of the daemon (wired in context.ts). */
export interface ApiDeps {
  sessions: SessionService;
  containers: ContainerCatalog;
  audit: AuditStore;
  tokens: TokenStore;
  readiness: () => Promise<ReadinessReport>;
  log: Logger;
  bodyLimitBytes: number;
  /** Caps on a command's arguments and stdin (checked after validation). */
  commandLimits: CommandLimits;
  /** Per-principal token bucket on /v1; perSecond 0: off. */
  rateLimit: RateLimitSettings;
  /** Failed authentications per client address and minute before 429; 0: off. */
  authFailuresPerMinute: number;
}

/** The authenticated caller of a /v1 request, for the audit trail. */
export function actorOf(c: Context<AppEnv>): Actor {
  return { principal: c.get('principal'), requestId: c.get('requestId') };
}

/** Sessions of other principals are visible only with `admin`; undefined means "anyone's". */
export function ownerFilter(c: Context<AppEnv>): string | undefined {
  return c.get('scopes').has('admin') ? undefined : c.get('principal');
}
