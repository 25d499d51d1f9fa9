import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { type Scope, hasScope, isScope } from '../auth/scopes.js';
import { AppError } from '../errors.js';
import { redactTokens } from '../log/redact.js';
import { tokenDenial } from '../metrics/metrics.js';
import type { ApiDeps, AppEnv } from './app-env.js';
import { TokenBuckets } from './rate-limit.js';

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/=-]{1,512})$/;

/**
 * Every /v1 call needs a live bearer token. Refusals are audited (without the token itself). A
 * client address that keeps failing gets 429 instead, audited once per minute with a count, so
 * guessing tokens is slow and unauthenticated callers cannot flood the audit table.
 */
export function requireToken(
  deps: Pick<ApiDeps, 'tokens' | 'audit' | 'log' | 'authFailuresPerMinute'> & Partial<Pick<ApiDeps, 'metrics'>>,
): MiddlewareHandler<AppEnv> {
  const perMinute = deps.authFailuresPerMinute;
  const failures = perMinute > 0 ? new TokenBuckets({ perSecond: perMinute / 60, burst: perMinute }) : null;
  return async (c, next) => {
    const header = c.req.header('authorization');
    const match = header ? BEARER.exec(header) : null;
    const outcome = match ? deps.tokens.authenticate(match[1]!) : { refused: header ? 'malformed' : 'missing' };
    if ('refused' in outcome) {
      const source = clientAddress(c);
      const allowance = failures?.take(source) ?? { allowed: true };
      if (!allowance.allowed) {
        deps.metrics?.authzDenied('auth-failures-limited');
        if (allowance.report) {
          deps.log.warn({ source, refused: allowance.report.refused, requestId: c.get('requestId') }, 'too many failed authentications from one address');
          deps.audit.append({
            type: 'auth.denied',
            actor: null,
            requestId: c.get('requestId'),
            data: { reason: 'too-many-failures', source, refused: allowance.report.refused, method: c.req.method, path: redactTokens(c.req.path) },
          });
        }
        throw new AppError(
          'rate_limited',
          `too many failed authentications from this address (at most ${perMinute} a minute); retry after ${allowance.retryAfterSeconds} s`,
          { retryAfterSeconds: allowance.retryAfterSeconds },
        );
      }
      deps.metrics?.authzDenied(tokenDenial(outcome.refused));
      deps.audit.append({
        type: 'auth.denied',
        actor: null,
        requestId: c.get('requestId'),
        data: { reason: outcome.refused, method: c.req.method, path: redactTokens(c.req.path) },
      });
      const detail =
        outcome.refused === 'missing'
          ? 'send Authorization: Bearer <token>; create one with `podman-debugd token create --name NAME`'
          : outcome.refused === 'revoked'
            ? 'this token has been revoked'
            : outcome.refused === 'expired'
              ? 'this token has expired'
            : 'the bearer token is not valid';
      throw new AppError('unauthenticated', detail);
    }
    c.set('principal', outcome.name);
    c.set('scopes', outcome.scopes);
    await next();
  };
}

/** The caller's IP address; all unix-socket callers share one key (their peers are local). */
function clientAddress(c: Context<AppEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? 'unix-socket';
  } catch {
    return 'in-process';
  }
}

/** Route middleware: the caller's token must carry `scope` (or admin). A refusal is audited. */
export function requireScope(scope: Scope, deps: Pick<ApiDeps, 'audit'> & Partial<Pick<ApiDeps, 'metrics'>>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!hasScope(c.get('scopes'), scope)) {
      deps.metrics?.authzDenied('missing-scope');
      deps.audit.append({
        type: 'auth.denied',
        actor: c.get('principal'),
        requestId: c.get('requestId'),
        data: { reason: 'missing-scope', scope, method: c.req.method, path: redactTokens(c.req.path) },
      });
      throw new AppError('forbidden', `this token lacks the scope "${scope}"`, { extensions: { requiredScope: scope } });
    }
    await next();
  };
}

/**
 * Attaches the scope check that a route's own `security` declares, so the OpenAPI document and
 * the enforcement cannot disagree. Runs before validation: 403 comes before 400.
 */
export function guarded<R extends { security?: Array<Record<string, string[]>> }>(
  route: R,
  deps: Pick<ApiDeps, 'audit'> & Partial<Pick<ApiDeps, 'metrics'>>,
): R {
  const scope = route.security?.[0]?.bearerAuth?.[0];
  if (!scope || !isScope(scope)) throw new Error('a /v1 route must declare exactly one bearerAuth scope');
  return { ...route, middleware: [requireScope(scope, deps)] };
}
