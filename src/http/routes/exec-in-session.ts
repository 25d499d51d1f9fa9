import { createRoute } from '@hono/zod-openapi';
import { type ApiDeps, type App, actorOf, ownerFilter } from '../app-env.js';
import { guarded } from '../auth.js';
import { checkCommandLimits } from '../command-limits.js';
import { bearerSecurity, problemResponses } from '../responses.js';
import { ExecRequestSchema, ExecResultSchema, SessionIdParamSchema } from '../schemas.js';

export const execInSessionRoute = createRoute({
  operationId: 'execInSession',
  method: 'post',
  path: '/v1/sessions/{id}/exec',
  tags: ['sessions'],
  summary: 'Run a command (argv, no shell) in the session\'s sidecar and return its output',
  security: bearerSecurity('exec'),
  request: {
    params: SessionIdParamSchema,
    body: { required: true, content: { 'application/json': { schema: ExecRequestSchema } } },
  },
  responses: {
    200: {
      description: 'The command ran; a non-zero exit code (127: not found) is not an HTTP error',
      content: { 'application/json': { schema: ExecResultSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429, 502, 503, 504),
  },
});

export function registerExecInSession(app: App, deps: ApiDeps): void {
  app.openapi(guarded(execInSessionRoute, deps), async (c) => {
    checkCommandLimits(deps.commandLimits, c.req.valid('json'));
    deps.sessions.authorize(c.req.valid('param').id, ownerFilter(c));
    const result = await deps.sessions.exec(c.req.valid('param').id, c.req.valid('json'), actorOf(c));
    return c.json(result, 200);
  });
}
