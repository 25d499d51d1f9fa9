import { createRoute } from '@hono/zod-openapi';
import type { ApiDeps, App } from '../app-env.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { guarded } from '../auth.js';
import { bearerSecurity, problemResponses } from '../responses.js';
import { AuditPageSchema, AuditQuerySchema } from '../schemas.js';

export const listAuditRoute = createRoute({
  operationId: 'listAuditEvents',
  method: 'get',
  path: '/v1/audit',
  tags: ['audit'],
  summary: 'Audit events, oldest first',
  security: bearerSecurity('audit:read'),
  request: { query: AuditQuerySchema },
  responses: {
    200: { description: 'A page of audit events', content: { 'application/json': { schema: AuditPageSchema } } },
    ...problemResponses(400, 401, 403, 429),
  },
});

export function registerListAudit(app: App, deps: ApiDeps): void {
  app.openapi(guarded(listAuditRoute, deps), (c) => {
    const query = c.req.valid('query');
    const items = deps.audit.list({
      sessionId: query.sessionId,
      afterSeq: decodeCursor(query.cursor) ?? 0,
      limit: query.limit + 1,
    });
    const more = items.length > query.limit;
    const page = more ? items.slice(0, query.limit) : items;
    return c.json({ items: page, nextCursor: more ? encodeCursor(page[page.length - 1]!.seq) : null }, 200);
  });
}
