import { createRoute } from '@hono/zod-openapi';
import { type ApiDeps, type App, actorOf } from '../app-env.js';
import { guarded } from '../auth.js';
import { checkCommandLimits } from '../command-limits.js';
import { bearerSecurity, problemResponses } from '../responses.js';
import { CreateSessionSchema, SessionSchema } from '../schemas.js';

export const createSessionRoute = createRoute({
  operationId: 'createSession',
  method: 'post',
  path: '/v1/sessions',
  tags: ['sessions'],
  summary: 'Start a debug session: a sidecar in the target\'s PID and network namespaces',
  security: bearerSecurity('sessions:write'),
  request: { body: { required: true, content: { 'application/json': { schema: CreateSessionSchema } } } },
  responses: {
    201: {
      description: 'The session is active',
      headers: { Location: { schema: { type: 'string' }, description: 'URL of the new session' } },
      content: { 'application/json': { schema: SessionSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429, 502, 503),
  },
});

export function registerCreateSession(app: App, deps: ApiDeps): void {
  app.openapi(guarded(createSessionRoute, deps), async (c) => {
    checkCommandLimits(deps.commandLimits, { command: c.req.valid('json').command });
    const session = await deps.sessions.create(c.req.valid('json'), actorOf(c));
    c.header('Location', `/v1/sessions/${session.id}`);
    return c.json(session, 201);
  });
}
