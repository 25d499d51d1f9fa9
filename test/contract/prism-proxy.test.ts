/**
 * Contract check with real traffic: a real `podman-debugd serve` on TCP, against a real private
 * Podman, driven through Stoplight Prism's validating proxy built from openapi/openapi.json.
 * Prism runs without --errors, so every request (deliberately invalid ones too) reaches the daemon,
 * and every response carries Prism's findings in its `sl-violations` header: request violations
 * (the client broke the contract) and response violations (the daemon broke it). The daemon must
 * never break it; the client only where a test means to, and there Prism must notice.
 *
 * Needs: podman, runc, busybox-static (see test/support/podman-harness.ts) and the devDependency
 * @stoplight/prism-cli. Never skipped: a missing tool fails with what to install.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { tokenCommand } from '../../src/cli/commands.js';
import { packageRoot } from '../../src/package-root.js';
import { type ServeProcess, cleanEnv, serve } from '../support/cli-process.js';
import { endProcessesUnder, type PodmanHarness, TARGET_IMAGE, TOOLBOX_IMAGE, startPodmanHarness } from '../support/podman-harness.js';

const ROOT = packageRoot();
const PRISM = join(ROOT, 'node_modules', '.bin', 'prism');
const DOCUMENT = join(ROOT, 'openapi', 'openapi.json');

interface Violation {
  location: string[];
  severity: string;
  code?: string | number;
  message: string;
}

interface Exchange {
  label: string;
  status: number;
  headers: Headers;
  body: any;
  text: string;
  violations: Violation[];
}

/** Every exchange that broke the contract in a way the test did not mean to, for the final check. */
const unexpected: string[] = [];
let exchanges = 0;

let podman: PodmanHarness;
let dir: string;
let daemon: ServeProcess | undefined;
interface Prism {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Its output so far, colours stripped. */
  log: string;
}
const prisms: Prism[] = [];
let proxy: string;
/** A second Prism in front of a fake upstream that breaks the contract: proves the checker is live. */
let canaryProxy: string;
let canaryUpstream: Server | undefined;
const tokens: Record<'main' | 'reader' | 'auditor' | 'other' | 'revoked', string> = { main: '', reader: '', auditor: '', other: '', revoked: '' };

function requirePrism(): void {
  if (!existsSync(PRISM)) {
    throw new Error(
      `the contract test needs Stoplight Prism at ${PRISM}: install the devDependency @stoplight/prism-cli@5.14.2 (npm ci)`,
    );
  }
}

/** Runs the real `token create` / `token revoke` command code against the daemon's database. */
function token(db: string, args: string[]): string {
  let out = '';
  let err = '';
  const code = tokenCommand([...args, '--db', db], {
    argv: args,
    env: cleanEnv(),
    cwd: dir,
    uid: process.getuid?.() ?? 0,
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
  });
  assert.equal(code, 0, `token ${args.join(' ')}: ${err}`);
  return out.trim();
}

/** Starts `prism proxy` (one process, no --errors) on a free port and resolves with its URL. */
async function startPrism(upstream: string): Promise<string> {
  const child = spawn(PRISM, ['proxy', DOCUMENT, upstream, '--host', '127.0.0.1', '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const prism: Prism = { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))), log: '' };
  prisms.push(prism);
  child.stderr!.on('data', (d) => (prism.log += d));
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Prism did not start in 15 s; its output:\n${prism.log}`)), 15_000);
    void prism.exited.then((code) => reject(new Error(`Prism exited with ${code} before listening; its output:\n${prism.log}`)));
    createInterface({ input: child.stdout! }).on('line', (raw) => {
      const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
      prism.log += `${line}\n`;
      const match = /Prism is listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
}

function parseViolations(header: string | null): Violation[] {
  if (!header) return [];
  try {
    return JSON.parse(header) as Violation[];
  } catch {
    // Prism truncates a long list ("Too many violations! ..."); still a finding.
    return [{ location: ['?'], severity: 'Error', message: header.slice(0, 500) }];
  }
}

const describeViolation = (v: Violation) => `${v.severity} at ${v.location.join('.')}: ${v.message}`;

/**
 * One call through Prism. `invalid` marks a request that deliberately breaks the contract: Prism must
 * report a request violation for it. Response violations are never expected.
 */
async function call(
  method: string,
  path: string,
  options: { token?: keyof typeof tokens | null | string; body?: unknown; raw?: string; headers?: Record<string, string>; invalid?: boolean } = {},
): Promise<Exchange> {
  const headers: Record<string, string> = { ...options.headers };
  const auth = options.token === undefined ? 'main' : options.token;
  if (auth !== null) headers.authorization = `Bearer ${auth in tokens ? tokens[auth as keyof typeof tokens] : auth}`;
  let payload = options.raw;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${proxy}${path}`, { method, headers, body: payload });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // NDJSON or text: keep it
  }
  const label = `${method} ${path.length > 90 ? `${path.slice(0, 90)}…` : path} -> ${response.status}`;
  const violations = parseViolations(response.headers.get('sl-violations'));
  exchanges++;
  // Prism's own errors (it could not reach or parse the upstream) carry no x-request-id.
  assert.ok(response.headers.get('x-request-id'), `${label} did not come from the daemon: ${text.slice(0, 500)}`);
  const onRequest = violations.filter((v) => v.location[0] === 'request');
  const onResponse = violations.filter((v) => v.location[0] !== 'request');
  for (const v of onResponse) unexpected.push(`${label}: response ${describeViolation(v)}`);
  if (options.invalid) {
    assert.ok(onRequest.length > 0, `${label}: this request breaks the contract on purpose, yet Prism reported nothing`);
  } else {
    for (const v of onRequest) unexpected.push(`${label}: request ${describeViolation(v)}`);
  }
  return { label, status: response.status, headers: response.headers, body, text, violations };
}

function expectStatus(exchange: Exchange, status: number): void {
  assert.equal(exchange.status, status, `${exchange.label}, expected ${status}: ${exchange.text.slice(0, 800)}`);
}

function expectProblem(exchange: Exchange, status: number, type?: string): void {
  expectStatus(exchange, status);
  assert.equal(exchange.headers.get('content-type'), 'application/problem+json', exchange.label);
  if (type) assert.equal(exchange.body.type, `urn:podman-debugd:problem:${type}`, exchange.label);
}

/** Answers /healthz with a body the contract forbids, and a problem without its required fields. */
async function startCanaryUpstream(): Promise<string> {
  canaryUpstream = createServer((req, res) => {
    res.setHeader('x-request-id', 'canary');
    if (req.url === '/healthz') {
      res.setHeader('content-type', 'application/json');
      res.end('{"status":"fine"}');
    } else {
      res.statusCode = 404;
      res.setHeader('content-type', 'application/problem+json');
      res.end('{"title":"Not found","status":"404"}');
    }
  });
  await new Promise<void>((resolve) => canaryUpstream!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(canaryUpstream.address() as AddressInfo).port}`;
}

before(async () => {
  requirePrism();
  const canary = startCanaryUpstream().then(startPrism);
  canary.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
  podman = await startPodmanHarness();
  await podman.startTarget('app');
  const idle = await podman.podman('create', '--name', 'idle', TARGET_IMAGE);
  assert.equal(idle.code, 0, idle.stderr);

  dir = mkdtempSync(join(tmpdir(), 'podman-debugd-contract-'));
  const db = join(dir, 'debugd.db');
  tokens.main = token(db, ['create', '--name', 'contract']);
  tokens.reader = token(db, ['create', '--name', 'reader', '--scope', 'sessions:read']);
  tokens.auditor = token(db, ['create', '--name', 'auditor', '--scope', 'audit:read']);
  tokens.other = token(db, ['create', '--name', 'other']);
  tokens.revoked = token(db, ['create', '--name', 'gone']);
  token(db, ['revoke', 'gone']);

  daemon = serve(
    ['--listen', '127.0.0.1:0', '--podman-socket', podman.socketPath, '--db', db, '--default-image', TOOLBOX_IMAGE],
    cleanEnv({ PODMAN_DEBUGD_START_PODMAN: 'never', PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND: '0' }),
  );
  const listening = await daemon.waitForLog((l) => l.msg === 'podman-debugd is listening');
  proxy = await startPrism(`http://${listening.listen}`);
  canaryProxy = await canary;
});

after(async () => {
  // PRISM_LOG=1 shows what the proxy and the daemon logged, for diagnosing a violation.
  if (process.env.PRISM_LOG) {
    process.stderr.write(`${prisms.map((p) => `--- prism ---\n${p.log}`).join('\n')}\n--- daemon ---\n${daemon?.logs.map((l) => JSON.stringify(l)).join('\n')}\n`);
  }
  try {
    for (const prism of prisms) {
      if (prism.child.exitCode === null && prism.child.signalCode === null) prism.child.kill('SIGTERM');
      await prism.exited;
    }
    await new Promise((resolve) => (canaryUpstream ? canaryUpstream.close(resolve) : resolve(undefined)));
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill('SIGTERM');
      const code = await Promise.race([daemon.exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
      if (code === 'timeout') {
        daemon.child.kill('SIGKILL');
        await daemon.exited;
      }
    }
  } finally {
    const leftover = podman ? await podman.managedContainers().catch(() => []) : [];
    await podman?.stop();
    const survivors = [...(podman ? await endProcessesUnder(podman.dir) : []), ...(dir ? await endProcessesUnder(dir) : [])];
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(leftover, [], 'every sidecar the test made is gone');
    assert.deepEqual(survivors, [], 'every process the test started is gone');
    for (const prism of prisms) assert.notEqual(prism.child.exitCode ?? prism.child.signalCode, null, 'Prism has exited');
    if (daemon) assert.notEqual(daemon.child.exitCode ?? daemon.child.signalCode, null, 'the daemon has exited');
  }
});

describe('the API through a contract-checking proxy (Prism) on a real daemon and Podman', () => {
  let sessionId: string;
  let secondId: string;

  it('the proxy is live: it reports responses that break the contract', async () => {
    const health = await fetch(`${canaryProxy}/healthz`);
    await health.text();
    const healthViolations = parseViolations(health.headers.get('sl-violations'));
    assert.ok(
      healthViolations.some((v) => v.location.join('.') === 'response.body.status'),
      `Prism did not flag {"status":"fine"} on /healthz: ${JSON.stringify(healthViolations)}`,
    );
    const problem = await fetch(`${canaryProxy}/v1/sessions/x`, { headers: { authorization: 'Bearer canary' } });
    await problem.text();
    const problemViolations = parseViolations(problem.headers.get('sl-violations')).map((v) => v.message);
    for (const missing of ['type', 'detail', 'requestId']) {
      assert.ok(problemViolations.some((m) => m.includes(`'${missing}'`)), `no violation for the missing ${missing}: ${problemViolations.join('; ')}`);
    }
  });

  it('health: /healthz and /readyz', async () => {
    const healthz = await call('GET', '/healthz', { token: null });
    expectStatus(healthz, 200);
    assert.equal(healthz.body.status, 'ok');
    const readyz = await call('GET', '/readyz', { token: null });
    expectStatus(readyz, 200);
    assert.equal(readyz.body.checks.podman, 'ok');
  });

  it('lists containers, without sidecars', async () => {
    const list = await call('GET', '/v1/containers');
    expectStatus(list, 200);
    const byName = new Map((list.body as any[]).map((c) => [c.name, c]));
    assert.equal(byName.get('app')?.state, 'running');
    assert.ok(byName.has('idle'));
  });

  it('creates sessions on a shell-less target', async () => {
    const created = await call('POST', '/v1/sessions', {
      body: { target: 'app', reason: 'contract test', ttlSeconds: 600, maxLifetimeSeconds: 1200, profile: 'general' },
    });
    expectStatus(created, 201);
    sessionId = created.body.id;
    assert.equal(created.headers.get('location'), `/v1/sessions/${sessionId}`);
    assert.equal(created.body.state, 'active');
    const second = await call('POST', '/v1/sessions', { body: { target: 'app', profile: 'restricted' } });
    expectStatus(second, 201);
    secondId = second.body.id;
  });

  it('lists sessions with filters and pagination, and gets one', async () => {
    const first = await call('GET', '/v1/sessions?limit=1');
    expectStatus(first, 200);
    assert.equal(first.body.items.length, 1);
    assert.equal(first.body.items[0].id, secondId, 'newest first');
    assert.equal(typeof first.body.nextCursor, 'string');
    const next = await call('GET', `/v1/sessions?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expectStatus(next, 200);
    assert.equal(next.body.items[0].id, sessionId);
    const filtered = await call('GET', '/v1/sessions?state=active&target=app&limit=50');
    expectStatus(filtered, 200);
    assert.equal(filtered.body.items.length, 2);
    assert.equal(filtered.body.nextCursor, null);
    const one = await call('GET', `/v1/sessions/${sessionId}`);
    expectStatus(one, 200);
    assert.equal(one.body.reason, 'contract test');
  });

  it('extends the lease, and refuses to pass the hard lifetime (409)', async () => {
    const extended = await call('PATCH', `/v1/sessions/${sessionId}`, { body: { ttlSeconds: 900 } });
    expectStatus(extended, 200);
    assert.ok(Date.parse(extended.body.expiresAt) > Date.now() + 850_000);
    expectProblem(await call('PATCH', `/v1/sessions/${sessionId}`, { body: { ttlSeconds: 5000 } }), 409);
  });

  it('runs commands: ps, stdin, non-zero exits, a timeout (504)', async () => {
    const ps = await call('POST', `/v1/sessions/${sessionId}/exec`, { body: { command: ['ps'] } });
    expectStatus(ps, 200);
    assert.match(ps.body.stdout, /^\s*1\s+\S+\s+\/busybox httpd/m);
    const wc = await call('POST', `/v1/sessions/${sessionId}/exec`, { body: { command: ['wc', '-c'], stdin: 'hello' } });
    expectStatus(wc, 200);
    assert.equal(wc.body.stdout.trim(), '5');
    const failing = await call('POST', `/v1/sessions/${sessionId}/exec`, { body: { command: ['false'] } });
    expectStatus(failing, 200);
    assert.equal(failing.body.exitCode, 1);
    const missing = await call('POST', `/v1/sessions/${sessionId}/exec`, { body: { command: ['no-such-binary'] } });
    expectStatus(missing, 200);
    assert.equal(missing.body.exitCode, 127);
    const slow = await call('POST', `/v1/sessions/${sessionId}/exec`, {
      body: { command: ['sh', '-c', 'echo started; sleep 10'], timeoutSeconds: 1 },
    });
    expectProblem(slow, 504, 'exec-timeout');
  });

  it('400: invalid bodies, queries and cursors', async () => {
    const noTarget = await call('POST', '/v1/sessions', { body: { reason: 'no target' }, invalid: true });
    expectProblem(noTarget, 400, 'bad-request');
    assert.ok(noTarget.body.errors.some((e: any) => e.field === 'target'));
    expectProblem(await call('POST', '/v1/sessions', { body: { target: 'app', extra: 1 }, invalid: true }), 400);
    expectProblem(await call('POST', `/v1/sessions/${sessionId}/exec`, { body: { command: [] }, invalid: true }), 400);
    expectProblem(await call('PATCH', `/v1/sessions/${sessionId}`, { body: { ttlSeconds: 0 }, invalid: true }), 400);
    expectProblem(await call('GET', '/v1/sessions?limit=0', { invalid: true }), 400);
    expectProblem(await call('GET', '/v1/sessions?state=bogus', { invalid: true }), 400);
    expectProblem(await call('GET', `/v1/sessions/${'x'.repeat(65)}`, { invalid: true }), 400);
    // A well-formed string the server never issued: valid per the contract, refused by the server.
    expectProblem(await call('GET', '/v1/sessions?cursor=bm90LWEtY3Vyc29y'), 400);
    expectProblem(await call('GET', '/v1/audit?cursor=bm90LWEtY3Vyc29y'), 400);
  });

  it('401: no token, an unknown token, a revoked token', async () => {
    const none = await call('GET', '/v1/sessions', { token: null, invalid: true });
    expectProblem(none, 401, 'unauthenticated');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    expectProblem(await call('GET', '/v1/containers', { token: 'pdd_not-a-real-token' }), 401);
    expectProblem(await call('POST', '/v1/sessions', { token: 'revoked', body: { target: 'app' } }), 401);
    expectProblem(await call('GET', '/v1/audit/export', { token: 'revoked' }), 401);
  });

  it('403: a token without the scope, and another principal\'s session', async () => {
    const reader = await call('GET', '/v1/sessions', { token: 'reader' });
    expectStatus(reader, 200);
    const write = await call('POST', '/v1/sessions', { token: 'reader', body: { target: 'app' } });
    expectProblem(write, 403, 'forbidden');
    assert.equal(write.body.requiredScope, 'sessions:write');
    expectProblem(await call('PATCH', `/v1/sessions/${sessionId}`, { token: 'reader', body: { ttlSeconds: 60 } }), 403);
    expectProblem(await call('DELETE', `/v1/sessions/${sessionId}`, { token: 'reader' }), 403);
    expectProblem(await call('POST', `/v1/sessions/${sessionId}/exec`, { token: 'reader', body: { command: ['ps'] } }), 403);
    expectProblem(await call('GET', '/v1/audit', { token: 'reader' }), 403);
    expectProblem(await call('GET', '/v1/audit/export', { token: 'reader' }), 403);
    for (const path of ['/v1/sessions', `/v1/sessions/${sessionId}`, '/v1/containers']) {
      const refused = await call('GET', path, { token: 'auditor' });
      expectProblem(refused, 403);
      assert.equal(refused.body.requiredScope, 'sessions:read');
    }
    expectStatus(await call('GET', '/v1/audit?limit=1', { token: 'auditor' }), 200);
    const foreign = await call('GET', `/v1/sessions/${sessionId}`, { token: 'other' });
    expectProblem(foreign, 403);
    assert.equal(foreign.body.requiredScope, 'admin');
    expectProblem(await call('POST', `/v1/sessions/${sessionId}/exec`, { token: 'other', body: { command: ['ps'] } }), 403);
  });

  it('404, 409, 413 and 415', async () => {
    expectProblem(await call('GET', '/v1/sessions/0b0ba3b6-8a3e-4d3c-9c7a-1f7c0b9d2e11'), 404);
    expectProblem(await call('PATCH', '/v1/sessions/0b0ba3b6-8a3e-4d3c-9c7a-1f7c0b9d2e11', { body: { ttlSeconds: 60 } }), 404);
    expectProblem(await call('DELETE', '/v1/sessions/0b0ba3b6-8a3e-4d3c-9c7a-1f7c0b9d2e11'), 404);
    expectProblem(await call('POST', '/v1/sessions/0b0ba3b6-8a3e-4d3c-9c7a-1f7c0b9d2e11/exec', { body: { command: ['ps'] } }), 404);
    expectProblem(await call('POST', '/v1/sessions', { body: { target: 'no-such-container' } }), 404, 'target-not-found');
    const stopped = await call('POST', '/v1/sessions', { body: { target: 'idle' } });
    expectProblem(stopped, 409, 'target-not-running');
    // The body limit (256 KiB by default) is below the schema's 1 MiB stdin: a valid request, refused.
    const big = await call('POST', `/v1/sessions/${sessionId}/exec`, { body: { command: ['true'], stdin: 'x'.repeat(300 * 1024) } });
    expectProblem(big, 413);
    const text = await call('POST', '/v1/sessions', { raw: 'target=app', headers: { 'content-type': 'text/plain' }, invalid: true });
    expectProblem(text, 415);
  });

  it('ends sessions (idempotently); exec in an ended session is 409; no sidecar is left', async () => {
    const ended = await call('DELETE', `/v1/sessions/${sessionId}`);
    expectStatus(ended, 200);
    assert.equal(ended.body.state, 'ended');
    assert.equal(ended.body.endReason, 'ended-by-user');
    expectStatus(await call('DELETE', `/v1/sessions/${sessionId}`), 200);
    expectStatus(await call('DELETE', `/v1/sessions/${secondId}`), 200);
    expectProblem(await call('POST', `/v1/sessions/${sessionId}/exec`, { body: { command: ['ps'] } }), 409, 'session-not-active');
    expectProblem(await call('PATCH', `/v1/sessions/${sessionId}`, { body: { ttlSeconds: 60 } }), 409);
    const ended2 = await call('GET', '/v1/sessions?state=ended');
    expectStatus(ended2, 200);
    assert.equal(ended2.body.items.length, 2);
    assert.deepEqual(await podman.managedContainers(), []);
  });

  it('audit: a paged list and the NDJSON export', async () => {
    const first = await call('GET', `/v1/audit?sessionId=${sessionId}&limit=2`);
    expectStatus(first, 200);
    assert.equal(first.body.items.length, 2);
    assert.equal(first.body.items[0].type, 'session.creating');
    const rest = await call('GET', `/v1/audit?sessionId=${sessionId}&limit=500&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expectStatus(rest, 200);
    assert.equal(rest.body.nextCursor, null);
    const types = [...first.body.items, ...rest.body.items].map((e: any) => e.type);
    assert.ok(types.includes('exec.completed'), types.join(' '));
    assert.equal(types.at(-1), 'session.ended');

    const exported = await call('GET', '/v1/audit/export', { headers: { accept: 'application/x-ndjson' } });
    expectStatus(exported, 200);
    assert.match(exported.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const lines = exported.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.length >= types.length);
    for (let i = 1; i < lines.length; i++) assert.equal(lines[i].prevHash, lines[i - 1].hash, `chain at seq ${lines[i].seq}`);
  });

  it('saw zero contract violations', () => {
    assert.ok(exchanges >= 50, `only ${exchanges} exchanges went through the proxy`);
    assert.deepEqual(unexpected, [], `Prism found ${unexpected.length} contract violation(s):\n${unexpected.join('\n')}`);
  });
});
