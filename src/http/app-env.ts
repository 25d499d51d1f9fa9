import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AuditStore } from '../audit/audit-store.js';
import type { VerifiedChat } from '../chatops/chat-payloads.js';
import type { Chatops } from '../chatops/chatops.js';
import type { TokenStore } from '../auth/token-store.js';
import type { ContainerCatalog } from '../containers/container-catalog.js';
import type { CommandLimits } from './command-limits.js';
import type { RateLimitSettings } from './rate-limit.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Actor } from '../sessions/session.js';
import type { SessionService } from '../sessions/session-service.js';

export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set by the auth middleware on /v1 routes. */
    principal: string;
    scopes: ReadonlySet<string>;
    /** Set by the chatops middleware on the chat routes, once the platform's signature or token checked out. */
    chat: VerifiedChat;
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
  /** Prometheus metrics: served at /metrics, fed by the auth and rate-limit middleware. */
  metrics: Metrics;
  /** Slack and Mattermost slash commands (the chatops file); parts not configured are null. */
  chatops: Chatops;
}

/** The authenticated caller of a /v1 request, for the audit trail. */
export function actorOf(c: Context<AppEnv>): Actor {
  return { principal: c.get('principal'), requestId: c.get('requestId') };
}

/** Sessions of other principals are visible only with `admin`; undefined means "anyone's". */
export function ownerFilter(c: Context<AppEnv>): string | undefined {
  return c.get('scopes').has('admin') ? undefined : c.get('principal');
}
