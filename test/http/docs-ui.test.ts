/**
 * /docs through app.request(): no auth, a strict Content-Security-Policy on the page and its
 * assets, only a fixed list of swagger-ui-dist files, nothing else from the disk.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { DOCS_CSP } from '../../src/http/docs-ui.js';
import { type TestDaemon, startTestDaemon } from '../support/test-daemon.js';

let daemon: TestDaemon;
before(() => {
  daemon = startTestDaemon({ podmanSocket: '/nonexistent/podman-debugd-test/podman.sock' });
});
after(() => daemon.close());

it('serves the page and its assets without auth, each with the strict CSP', async () => {
  assert.doesNotMatch(DOCS_CSP, /unsafe|https?:|\*/);
  for (const [path, type] of [
    ['/docs', /^text\/html/],
    ['/docs/', /^text\/html/],
    ['/docs/init.js', /^text\/javascript/],
    ['/docs/swagger-ui-bundle.js', /^text\/javascript/],
    ['/docs/swagger-ui.css', /^text\/css/],
    ['/docs/index.css', /^text\/css/],
    ['/docs/favicon-32x32.png', /^image\/png/],
  ] as const) {
    const response = await daemon.ctx.app.request(path);
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get('content-type') ?? '', type, path);
    assert.equal(response.headers.get('content-security-policy'), DOCS_CSP, path);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
    assert.ok((await response.arrayBuffer()).byteLength > 0, path);
  }
  const page = await (await daemon.ctx.app.request('/docs')).text();
  assert.doesNotMatch(page, /<script>|<script [^>]*src="(?!\/docs\/)|<link [^>]*href="(?!\/docs\/)|\bon[a-z]+=/i, 'no inline script, handler or foreign asset');
  assert.match(await (await daemon.ctx.app.request('/docs/init.js')).text(), /url: '\/openapi\.json'/);
});

it('serves nothing else: other package files and path tricks are 404 problems', async () => {
  for (const path of ['/docs/swagger-ui.js', '/docs/package.json', '/docs/../package.json', '/docs/%2e%2e/package.json', '/docs/oauth2-redirect.html', '/docs/index.html']) {
    const response = await daemon.ctx.app.request(path);
    assert.equal(response.status, 404, path);
    assert.equal(response.headers.get('content-type'), 'application/problem+json', path);
  }
});
