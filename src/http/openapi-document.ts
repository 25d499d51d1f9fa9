import { pino } from 'pino';
import { loadConfig } from '../config/config.js';
import { createContext } from '../context.js';
import { openApiDocument } from './app.js';

/**
 * The OpenAPI document as the daemon serves it, built from the real route definitions on a
 * throwaway in-memory context (it never talks to Podman). Used by `npm run openapi` and the drift test.
 */
export function buildOpenApiDocument(): unknown {
  const config = loadConfig({ flags: { db: ':memory:', podmanSocket: '/nonexistent/podman.sock' }, env: {}, cwd: '/', uid: 0 });
  const ctx = createContext(config, pino({ level: 'silent' }));
  try {
    return openApiDocument(ctx.app);
  } finally {
    ctx.close();
  }
}

export function serializeOpenApiDocument(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
