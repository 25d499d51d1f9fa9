import { createRoute } from '@hono/zod-openapi';
import { type ApiDeps, type App, actorOf, ownerFilter } from '../app-env.js';
import { guarded } from '../auth.js';
import { bearerSecurity, problemResponses } from '../responses.js';
import { SessionIdParamSchema, SessionSchema } from '../schemas.js';

export const endSessionRoute = createRoute({
  operationId: 'endSession',
  method: 'delete',
  path: '/v1/sessions/{id}',
  tags: ['sessions'],
  summary: 'End a session; its sidecar is gone when this returns. Idempotent.',
  security: bearerSecurity('sessions:write'),
  request: { params: SessionIdParamSchema },
  responses: {
    200: { description: 'The ended session', content: { 'application/json': { schema: SessionSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 429, 502, 503),
  },
});

export function registerEndSession(app: App, deps: ApiDeps): void {
  app.openapi(guarded(endSessionRoute, deps), async (c) => {
    deps.sessions.authorize(c.req.valid('param').id, ownerFilter(c));
    const session = await deps.sessions.endByUser(c.req.valid('param').id, actorOf(c));
    return c.json(session, 200);
  });
}
