import { createRoute } from '@hono/zod-openapi';
import { AppError } from '../../errors.js';
import type { ApiDeps, App } from '../app-env.js';
import { problemResponses } from '../responses.js';
import { HealthSchema } from '../schemas.js';

export const healthzRoute = createRoute({
  operationId: 'healthz',
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'The process is alive (no auth)',
  security: [], // deliberately unauthenticated, for probes
  responses: { 200: { description: 'Alive', content: { 'application/json': { schema: HealthSchema } } } },
});

export const readyzRoute = createRoute({
  operationId: 'readyz',
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'The database answers and Podman answers a ping (no auth)',
  security: [], // deliberately unauthenticated, for probes
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: HealthSchema } } },
    ...problemResponses(503),
  },
});

export function registerHealth(app: App, deps: ApiDeps): void {
  app.openapi(healthzRoute, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(readyzRoute, async (c) => {
    const report = await deps.readiness();
    if (!report.ready) {
      const failed = Object.entries(report.checks)
        .filter(([, v]) => v !== 'ok')
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ');
      throw new AppError('not_ready', `not ready: ${failed}`, { extensions: { checks: report.checks }, retryAfterSeconds: 5 });
    }
    return c.json({ status: 'ok' as const, checks: report.checks }, 200);
  });
}
