/**
 * The API docs at /docs in a real headless Chromium (Debian's `chromium` package), with every
 * request to anything but the daemon's own origin blocked and counted: the page must render every
 * operation of the OpenAPI document, work through Swagger UI's Authorize button, trip no
 * Content-Security-Policy violation, and try to reach no other origin at all.
 *
 * Never skipped: without /usr/bin/chromium this fails, naming the package to install.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, chromium } from 'playwright-core';
import { type TestDaemon, startTestDaemon } from '../support/test-daemon.js';

const CHROMIUM = '/usr/bin/chromium';

let daemon: TestDaemon;
let server: ServerType;
let origin: string;
let browser: Browser;

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the docs UI test needs Chromium at ${CHROMIUM}: install Debian's package with: apt-get install -y chromium (or run: bash scripts/setup.sh --test)`);
  }
  daemon = startTestDaemon({ podmanSocket: '/nonexistent/podman-debugd-test/podman.sock' });
  // A real HTTP listener: the browser needs a socket, app.request() is not enough.
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: daemon.ctx.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await daemon?.close();
});

it('renders every operation from the daemon\'s own files, with a strict CSP and no request to any other origin', async () => {
  const page = await browser.newPage();
  const outside: string[] = [];
  const local: string[] = [];
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) {
      local.push(new URL(url).pathname);
      await route.continue();
    } else {
      outside.push(url);
      await route.abort('blockedbyclient');
    }
  });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

  const response = await page.goto(`${origin}/docs`);
  assert.equal(response?.status(), 200);
  const csp = response?.headers()['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/);

  await page.waitForSelector('.opblock-summary', { timeout: 30_000 });
  const rendered = await page.$$eval('.opblock-summary', (nodes) =>
    nodes.map((n) => {
      const method = n.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '';
      const path = n.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
      return `${method} ${path}`;
    }),
  );
  const document = (await daemon.api('GET', '/openapi.json', { token: null })).body as { paths: Record<string, Record<string, unknown>> };
  const expected = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
  assert.ok(expected.includes('POST /v1/sessions') && expected.includes('GET /metrics'));
  assert.deepEqual([...rendered].sort(), [...expected].sort());
  const text = await page.textContent('#swagger-ui');
  assert.match(text ?? '', /Create a debug session|Run a command/);

  // Authorize with a token, then run GET /v1/sessions from the page: the call carries the token.
  await page.click('.btn.authorize');
  await page.fill('.modal-ux input[type="text"], .modal-ux input[type="password"]', daemon.token);
  await page.click('.modal-ux .auth-btn-wrapper .btn.modal-btn.auth.authorize');
  await page.click('.modal-ux .btn-done, .modal-ux .close-modal');
  const list = page.locator('.opblock', { has: page.locator('.opblock-summary-path[data-path="/v1/sessions"]') }).filter({ has: page.locator('.opblock-summary-method', { hasText: 'GET' }) });
  await list.locator('.opblock-summary').first().click();
  await list.locator('.try-out__btn').click();
  await list.locator('.execute').click();
  const status = list.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor({ timeout: 15_000 });
  assert.equal((await status.textContent())?.trim(), '200');

  assert.deepEqual(outside, [], 'requests to other origins were attempted');
  assert.deepEqual(problems, []);
  for (const asset of ['/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/init.js', '/openapi.json', '/v1/sessions']) {
    assert.ok(local.includes(asset), `${asset} was requested (requests: ${local.join(' ')})`);
  }
  await page.close();
});
