import { createRoute } from '@hono/zod-openapi';
import { type ApiDeps, type App, ownerFilter } from '../app-env.js';
import { guarded } from '../auth.js';
import { bearerSecurity, problemResponses } from '../responses.js';
import { SessionIdParamSchema, SessionSchema } from '../schemas.js';

export const getSessionRoute = createRoute({
  operationId: 'getSession',
  method: 'get',
  path: '/v1/sessions/{id}',
  tags: ['sessions'],
  summary: 'One session',
  security: bearerSecurity('sessions:read'),
  request: { params: SessionIdParamSchema },
  responses: {
    200: { description: 'The session', content: { 'application/json': { schema: SessionSchema } } },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export function registerGetSession(app: App, deps: ApiDeps): void {
  app.openapi(guarded(getSessionRoute, deps), (c) => c.json(deps.sessions.authorize(c.req.valid('param').id, ownerFilter(c)), 200));
}
