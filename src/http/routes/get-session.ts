import { createRoute } from '@hono/zod-openapi';
import type { ApiDeps, App } from '../app-env.js';
import { bearerSecurity, problemResponses } from '../responses.js';
import { SessionIdParamSchema, SessionSchema } from '../schemas.js';

export const getSessionRoute = createRoute({
  operationId: 'getSession',
  method: 'get',
  path: '/v1/sessions/{id}',
  tags: ['sessions'],
  summary: 'One session',
  security: bearerSecurity,
  request: { params: SessionIdParamSchema },
  responses: {
    200: { description: 'The session', content: { 'application/json': { schema: SessionSchema } } },
    ...problemResponses(400, 401, 404),
  },
});

export function registerGetSession(app: App, deps: ApiDeps): void {
  app.openapi(getSessionRoute, (c) => c.json(deps.sessions.get(c.req.valid('param').id), 200));
}
