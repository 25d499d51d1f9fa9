import { createRoute, z } from '@hono/zod-openapi';
import type { ApiDeps, App } from '../app-env.js';
import { guarded } from '../auth.js';
import { bearerSecurity, problemResponses } from '../responses.js';
import { ContainerSchema } from '../schemas.js';

export const listContainersRoute = createRoute({
  operationId: 'listContainers',
  method: 'get',
  path: '/v1/containers',
  tags: ['containers'],
  summary: 'Containers one could debug (debug sidecars excluded)',
  security: bearerSecurity('sessions:read'),
  responses: {
    200: { description: 'Containers', content: { 'application/json': { schema: z.array(ContainerSchema) } } },
    ...problemResponses(401, 403, 429, 502, 503),
  },
});

export function registerListContainers(app: App, deps: ApiDeps): void {
  app.openapi(guarded(listContainersRoute, deps), async (c) => c.json(await deps.containers.list(), 200));
}
