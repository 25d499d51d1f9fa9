import { createRoute } from '@hono/zod-openapi';
import { type ApiDeps, type App, actorOf, ownerFilter } from '../app-env.js';
import { guarded } from '../auth.js';
import { bearerSecurity, problemResponses } from '../responses.js';
import { ExtendSessionSchema, SessionIdParamSchema, SessionSchema } from '../schemas.js';

export const extendSessionRoute = createRoute({
  operationId: 'extendSession',
  method: 'patch',
  path: '/v1/sessions/{id}',
  tags: ['sessions'],
  summary: "Extend a session's lease (now + ttlSeconds), up to its hard lifetime",
  security: bearerSecurity('sessions:write'),
  request: {
    params: SessionIdParamSchema,
    body: { required: true, content: { 'application/json': { schema: ExtendSessionSchema } } },
  },
  responses: {
    200: { description: 'The session with its new lease', content: { 'application/json': { schema: SessionSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429),
  },
});

export function registerExtendSession(app: App, deps: ApiDeps): void {
  app.openapi(guarded(extendSessionRoute, deps), (c) => {
    deps.sessions.authorize(c.req.valid('param').id, ownerFilter(c));
    const session = deps.sessions.extend(c.req.valid('param').id, c.req.valid('json').ttlSeconds, actorOf(c));
    return c.json(session, 200);
  });
}
