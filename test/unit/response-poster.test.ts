import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ResponsePoster, parseAllowedOrigin } from '../../src/chatops/response-poster.js';

const log = pino({ level: 'silent' });
let server: Server;
let origin: string;
const received: Array<{ url: string; body: string }> = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', body });
      if (req.url?.startsWith('/slow')) return void setTimeout(() => res.end('late'), 2000);
      if (req.url?.startsWith('/redirect')) return void res.writeHead(302, { location: 'http://169.254.169.254/latest' }).end();
      if (req.url?.startsWith('/expired')) return void res.writeHead(404).end('expired_url');
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const poster = (options: Partial<ConstructorParameters<typeof ResponsePoster>[1]> = {}) =>
  new ResponsePoster([parseAllowedOrigin(origin) as any, parseAllowedOrigin('hooks.slack.com') as any], { log, ...options });

describe('allowed origins', () => {
  it('a bare host name means https on 443 only; http and other ports must be written out', () => {
    assert.deepEqual(parseAllowedOrigin('hooks.slack.com'), { scheme: 'https', host: 'hooks.slack.com', port: 443 });
    assert.deepEqual(parseAllowedOrigin('HTTP://127.0.0.1:8065'), { scheme: 'http', host: '127.0.0.1', port: 8065 });
    assert.deepEqual(parseAllowedOrigin('https://chat.example.com'), { scheme: 'https', host: 'chat.example.com', port: 443 });
    for (const bad of ['hooks.slack.com:8443', 'ftp://x', 'https://u:p@x', 'https://x/path', 'https://x?q', 'two words', '']) {
      assert.equal(typeof parseAllowedOrigin(bad), 'string', bad);
    }
  });

  it('posts only to allowed origins', () => {
    const p = poster();
    assert.equal(p.allows('https://hooks.slack.com/commands/T1/2/3'), true);
    assert.equal(p.allows(`${origin}/commands/x`), true);
    for (const url of [
      'http://hooks.slack.com/commands/T1/2/3', // cleartext to a host allowed for https only
      'https://hooks.slack.com:8443/commands/x',
      'https://hooks.slack.com.evil.example/commands/x',
      'https://evil.example/?https://hooks.slack.com/',
      'https://user@hooks.slack.com/commands/x',
      `${origin.replace('127.0.0.1', 'localhost')}/x`,
      'file:///etc/passwd',
      'not a url',
    ]) {
      assert.equal(p.allows(url), false, url);
    }
  });
});

describe('posting', () => {
  it('posts JSON; refuses a URL that is not allowed without sending anything', async () => {
    const p = poster();
    const before = received.length;
    assert.deepEqual(await p.post(`${origin}/commands/ok-1`, { text: 'hi' }), { ok: true, status: 200 });
    assert.deepEqual(JSON.parse(received.at(-1)!.body), { text: 'hi' });
    assert.deepEqual(await p.post('https://evil.example/x', { text: 'hi' }), { ok: false, reason: 'not-allowed' });
    assert.equal(received.length, before + 1);
  });

  it('at most 5 posts per response_url; other URLs are counted apart', async () => {
    const p = poster();
    const url = `${origin}/commands/limit`;
    const outcomes = [];
    for (let i = 0; i < 7; i++) outcomes.push(await p.post(url, { i }));
    assert.deepEqual(outcomes.map((o) => o.ok), [true, true, true, true, true, false, false]);
    assert.deepEqual(outcomes[5], { ok: false, reason: 'limit' });
    assert.equal(received.filter((r) => r.url === '/commands/limit').length, 5);
    assert.equal(p.remaining(url), 0);
    assert.equal((await p.post(`${origin}/commands/other`, {})).ok, true);
  });

  it('a URL is forgotten after 30 minutes, and the memory is bounded', async () => {
    let now = 0;
    const p = poster({ now: () => now, maxTracked: 3, maxPostsPerUrl: 1 });
    assert.equal((await p.post(`${origin}/commands/a`, {})).ok, true);
    assert.equal((await p.post(`${origin}/commands/a`, {})).ok, false);
    now = 30 * 60_000;
    assert.equal((await p.post(`${origin}/commands/a`, {})).ok, true);
    for (const k of ['b', 'c', 'd', 'e']) await p.post(`${origin}/commands/${k}`, {});
    assert.ok((p as unknown as { counts: Map<string, unknown> }).counts.size <= 3);
  });

  it('never throws: timeouts, refusals, redirects (not followed) and dead servers are outcomes', async () => {
    const p = poster({ timeoutMs: 300 });
    assert.deepEqual(await p.post(`${origin}/slow/1`, {}), { ok: false, reason: 'timeout' });
    assert.deepEqual(await p.post(`${origin}/expired/1`, {}), { ok: false, reason: 'status', status: 404 });
    assert.deepEqual(await p.post(`${origin}/redirect/1`, {}), { ok: false, reason: 'status', status: 302 });
    const dead = new ResponsePoster([{ scheme: 'http', host: '127.0.0.1', port: 1 }], { log, timeoutMs: 1000 });
    assert.deepEqual(await dead.post('http://127.0.0.1:1/x', {}), { ok: false, reason: 'network' });
  });
});
