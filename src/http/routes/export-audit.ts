import { createRoute, z } from '@hono/zod-openapi';
import type { ApiDeps, App } from '../app-env.js';
import { guarded } from '../auth.js';
import { bearerSecurity, problemResponses } from '../responses.js';

const PAGE = 500;

export const exportAuditRoute = createRoute({
  operationId: 'exportAudit',
  method: 'get',
  path: '/v1/audit/export',
  tags: ['audit'],
  summary: 'The whole audit trail as NDJSON, oldest first, with its hash chain',
  security: bearerSecurity('audit:read'),
  responses: {
    200: {
      description: 'One AuditEvent per line; verify offline by recomputing the chain',
      content: { 'application/x-ndjson': { schema: z.string() } },
    },
    ...problemResponses(401, 403, 429),
  },
});

export function registerExportAudit(app: App, deps: ApiDeps): void {
  app.openapi(guarded(exportAuditRoute, deps), (c) => {
    // Page by seq rather than holding one SQLite cursor open across awaits: a cursor would keep the
    // connection busy for every other request until the client had read everything.
    let after = 0;
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const events = deps.audit.list({ afterSeq: after, limit: PAGE });
        if (events.length === 0) {
          controller.close();
          return;
        }
        after = events[events.length - 1]!.seq;
        controller.enqueue(encoder.encode(events.map((e) => JSON.stringify(e)).join('\n') + '\n'));
      },
    });
    // @hono/zod-openapi types only JSON bodies; this one is an NDJSON stream.
    return c.body(body, 200, { 'content-type': 'application/x-ndjson' }) as never;
  });
}
