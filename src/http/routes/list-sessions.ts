import { createRoute } from '@hono/zod-openapi';
import { type ApiDeps, type App, ownerFilter } from '../app-env.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { guarded } from '../auth.js';
import { bearerSecurity, problemResponses } from '../responses.js';
import { ListSessionsQuerySchema, SessionPageSchema } from '../schemas.js';

export const listSessionsRoute = createRoute({
  operationId: 'listSessions',
  method: 'get',
  path: '/v1/sessions',
  tags: ['sessions'],
  summary: 'List sessions, newest first',
  security: bearerSecurity('sessions:read'),
  request: { query: ListSessionsQuerySchema },
  responses: {
    200: { description: 'A page of sessions', content: { 'application/json': { schema: SessionPageSchema } } },
    ...problemResponses(400, 401, 403, 429),
  },
});

export function registerListSessions(app: App, deps: ApiDeps): void {
  app.openapi(guarded(listSessionsRoute, deps), (c) => {
    const query = c.req.valid('query');
    const page = deps.sessions.list({
      state: query.state,
      target: query.target,
      owner: ownerFilter(c),
      limit: query.limit,
      beforeSeq: decodeCursor(query.cursor),
    });
    return c.json({ items: page.items, nextCursor: encodeCursor(page.nextSeq) }, 200);
  });
}
