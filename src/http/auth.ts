import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors.js';
import type { ApiDeps, AppEnv } from './app-env.js';

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/=-]{1,512})$/;

/** Every /v1 call needs a live bearer token. Refusals are audited (without the token itself). */
export function requireToken(deps: Pick<ApiDeps, 'tokens' | 'audit' | 'log'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const match = header ? BEARER.exec(header) : null;
    const outcome = match ? deps.tokens.authenticate(match[1]!) : { refused: header ? 'malformed' : 'missing' };
    if ('refused' in outcome) {
      deps.audit.append({
        type: 'auth.denied',
        actor: null,
        requestId: c.get('requestId'),
        data: { reason: outcome.refused, method: c.req.method, path: c.req.path },
      });
      const detail =
        outcome.refused === 'missing'
          ? 'send Authorization: Bearer <token>; create one with `podman-debugd token create --name NAME`'
          : outcome.refused === 'revoked'
            ? 'this token has been revoked'
            : 'the bearer token is not valid';
      throw new AppError('unauthenticated', detail);
    }
    c.set('principal', outcome.name);
    await next();
  };
}
