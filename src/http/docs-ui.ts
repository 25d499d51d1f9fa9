import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Context } from 'hono';
import type { App, AppEnv } from './app-env.js';

/**
 * Swagger UI at /docs, served entirely from the daemon's own files (the installed swagger-ui-dist
 * package), so the docs work on a host without internet and load nothing from anywhere else. No
 * auth for the page; the calls made from it need a token (Swagger UI's Authorize button).
 */

/**
 * Nothing but this origin: no CDN, no inline script (the initializer is a file of its own), no
 * eval, no framing. Swagger UI's styles are set through the DOM (CSSOM), which style-src permits.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>podman-debugd API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="stylesheet" href="/docs/index.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io.
const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

/** The only files served from swagger-ui-dist: a fixed list, so no request path reaches the disk. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

function securityHeaders(contentType: string, cacheControl: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': DOCS_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': cacheControl,
  };
}

export function registerDocsUi(app: App): void {
  // Found and read once, on first use: the bundle is 1.7 MB and most daemons never serve it.
  let dist: string | undefined;
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  const asset = (name: string): Uint8Array<ArrayBuffer> => {
    let body = cache.get(name);
    if (!body) {
      dist ??= dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
      body = new Uint8Array(readFileSync(join(dist, name)));
      cache.set(name, body);
    }
    return body;
  };

  const page = (c: Context<AppEnv>) => c.body(PAGE, 200, securityHeaders('text/html; charset=utf-8', 'no-cache'));
  app.get('/docs', page);
  app.get('/docs/', page);
  app.get('/docs/init.js', (c) => c.body(INIT, 200, securityHeaders('text/javascript; charset=utf-8', 'no-cache')));
  for (const [name, contentType] of Object.entries(ASSETS)) {
    app.get(`/docs/${name}`, (c) => {
      return c.body(asset(name), 200, securityHeaders(contentType, 'public, max-age=3600'));
    });
  }
}
