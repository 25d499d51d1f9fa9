import { createRoute, z } from '@hono/zod-openapi';
import type { ApiDeps, App } from '../app-env.js';
import { guarded } from '../auth.js';
import { bearerSecurity, problemResponses } from '../responses.js';

export const metricsRoute = createRoute({
  operationId: 'getMetrics',
  method: 'get',
  path: '/metrics',
  tags: ['metrics'],
  summary: 'Prometheus metrics in the text exposition format',
  description:
    'Counters, histograms and gauges of sessions, reaping, Podman calls, commands and refusals, plus ' +
    'Node.js process metrics. No label holds an id, a principal or a container name. Outside /v1 ' +
    'because Prometheus scrapes /metrics by default; it needs a bearer token all the same.',
  security: bearerSecurity('metrics:read'),
  responses: {
    200: {
      description: 'The metrics (Content-Type: text/plain; version=0.0.4)',
      content: { 'text/plain': { schema: z.string() } },
    },
    ...problemResponses(401, 403, 429),
  },
});

export function registerMetrics(app: App, deps: ApiDeps): void {
  app.openapi(guarded(metricsRoute, deps), async (c) => {
    const { contentType, body } = await deps.metrics.scrape();
    return c.text(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
}
