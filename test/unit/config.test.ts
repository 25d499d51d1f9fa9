import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULT_IMAGE, envNames, loadConfig } from '../../src/config/config.js';

const cwd = '/srv/debugd';
const baseEnv = { XDG_RUNTIME_DIR: '/run/user/1000' };

/** Runs loadConfig expecting a ConfigError and returns its problems. */
function problemsOf(input: Parameters<typeof loadConfig>[0]): string[] {
  try {
    loadConfig(input);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.name, 'ConfigError');
    for (const p of err.problems) assert.ok(err.message.includes(p), 'message lists every problem');
    return err.problems;
  }
  assert.fail('loadConfig did not throw');
}

test('defaults', () => {
  const c = loadConfig({ env: baseEnv, cwd, uid: 1000 });
  assert.deepEqual(c, {
    listen: { kind: 'tcp', host: '127.0.0.1', port: 7070 },
    podmanSocket: { path: '/run/user/1000/podman/podman.sock', source: 'default' },
    startPodman: 'auto',
    podmanBinary: 'podman',
    stateDir: '/srv/debugd/var',
    dbPath: '/srv/debugd/var/podman-debugd.db',
    defaultImage: DEFAULT_IMAGE,
    policyFile: null,
    chatopsFile: null,
    defaultTtlSeconds: 900,
    maxLifetimeSeconds: 4 * 3600,
    reconcileIntervalSeconds: 30,
    maxOutputBytes: 1024 * 1024,
    bodyLimitBytes: 256 * 1024,
    maxCommandArgs: 64,
    maxCommandBytes: 64 * 1024,
    maxStdinBytes: 1024 * 1024,
    rateLimitPerSecond: 20,
    rateLimitBurst: 40,
    authFailuresPerMinute: 60,
    headersTimeoutMs: 15_000,
    requestTimeoutMs: 60_000,
    podmanTimeoutMs: 30_000,
    shutdownGraceMs: 10_000,
    logLevel: 'info',
  });
});

test('root gets the rootful podman socket by default', () => {
  assert.equal(loadConfig({ env: {}, cwd, uid: 0 }).podmanSocket.path, '/run/podman/podman.sock');
});

test('STATE_DIRECTORY from systemd is honoured', () => {
  const c = loadConfig({ env: { ...baseEnv, STATE_DIRECTORY: '/var/lib/podman-debugd' }, cwd, uid: 1000 });
  assert.equal(c.stateDir, '/var/lib/podman-debugd');
  assert.equal(c.dbPath, '/var/lib/podman-debugd/podman-debugd.db');
});

test('STATE_DIRECTORY listing several paths: the first one is used', () => {
  const env = { ...baseEnv, STATE_DIRECTORY: '/var/lib/podman-debugd:/var/lib/other' };
  const c = loadConfig({ env, cwd, uid: 1000 });
  assert.equal(c.stateDir, '/var/lib/podman-debugd');
  assert.equal(c.dbPath, '/var/lib/podman-debugd/podman-debugd.db');
});

test('PODMAN_DEBUGD_STATE_DIR wins over STATE_DIRECTORY; relative paths resolve against cwd', () => {
  const env = { ...baseEnv, STATE_DIRECTORY: '/var/lib/podman-debugd', PODMAN_DEBUGD_STATE_DIR: 'state' };
  const c = loadConfig({ env, cwd, uid: 1000 });
  assert.equal(c.stateDir, '/srv/debugd/state');
  assert.equal(c.dbPath, '/srv/debugd/state/podman-debugd.db');
});

test('PODMAN_DEBUGD_DB: relative resolves against cwd, absolute kept, :memory: kept', () => {
  const at = (db: string) => loadConfig({ env: { ...baseEnv, PODMAN_DEBUGD_DB: db }, cwd, uid: 1000 }).dbPath;
  assert.equal(at('data/x.db'), '/srv/debugd/data/x.db');
  assert.equal(at('/abs/x.db'), '/abs/x.db');
  assert.equal(at(':memory:'), ':memory:');
});

test('every PODMAN_DEBUGD_* variable is read', () => {
  const env = {
    PODMAN_DEBUGD_LISTEN: 'unix:/run/debugd.sock',
    PODMAN_DEBUGD_PODMAN_SOCKET: 'unix:///run/podman/custom.sock',
    PODMAN_DEBUGD_START_PODMAN: 'never',
    PODMAN_DEBUGD_PODMAN_BINARY: '/usr/local/bin/podman',
    PODMAN_DEBUGD_STATE_DIR: '/var/lib/dd',
    PODMAN_DEBUGD_DB: '/var/lib/dd/other.db',
    PODMAN_DEBUGD_DEFAULT_IMAGE: 'quay.io/example/tools:1',
    PODMAN_DEBUGD_POLICY_FILE: 'policy.yaml',
    PODMAN_DEBUGD_CHATOPS_FILE: 'chatops.yaml',
    PODMAN_DEBUGD_DEFAULT_TTL_SECONDS: '60',
    PODMAN_DEBUGD_MAX_LIFETIME_SECONDS: '7200',
    PODMAN_DEBUGD_RECONCILE_INTERVAL_SECONDS: '5',
    PODMAN_DEBUGD_MAX_OUTPUT_BYTES: '2048',
    PODMAN_DEBUGD_BODY_LIMIT_BYTES: '4096',
    PODMAN_DEBUGD_MAX_COMMAND_ARGS: '16',
    PODMAN_DEBUGD_MAX_COMMAND_BYTES: '1000',
    PODMAN_DEBUGD_MAX_STDIN_BYTES: '0',
    PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND: '0',
    PODMAN_DEBUGD_RATE_LIMIT_BURST: '1',
    PODMAN_DEBUGD_AUTH_FAILURES_PER_MINUTE: '0',
    PODMAN_DEBUGD_HEADERS_TIMEOUT_MS: '5000',
    PODMAN_DEBUGD_REQUEST_TIMEOUT_MS: '20000',
    PODMAN_DEBUGD_PODMAN_TIMEOUT_MS: '5000',
    PODMAN_DEBUGD_SHUTDOWN_GRACE_MS: '0',
    PODMAN_DEBUGD_LOG_LEVEL: 'debug',
  };
  // Guard: the test must set every variable the module knows about.
  assert.deepEqual(Object.keys(env).sort(), Object.values(envNames).sort());
  const c = loadConfig({ env, cwd, uid: 1000 });
  assert.deepEqual(c, {
    listen: { kind: 'unix', path: '/run/debugd.sock' },
    podmanSocket: { path: '/run/podman/custom.sock', source: 'configured' },
    startPodman: 'never',
    podmanBinary: '/usr/local/bin/podman',
    stateDir: '/var/lib/dd',
    dbPath: '/var/lib/dd/other.db',
    defaultImage: 'quay.io/example/tools:1',
    policyFile: '/srv/debugd/policy.yaml',
    chatopsFile: '/srv/debugd/chatops.yaml',
    defaultTtlSeconds: 60,
    maxLifetimeSeconds: 7200,
    reconcileIntervalSeconds: 5,
    maxOutputBytes: 2048,
    bodyLimitBytes: 4096,
    maxCommandArgs: 16,
    maxCommandBytes: 1000,
    maxStdinBytes: 0,
    rateLimitPerSecond: 0,
    rateLimitBurst: 1,
    authFailuresPerMinute: 0,
    headersTimeoutMs: 5000,
    requestTimeoutMs: 20000,
    podmanTimeoutMs: 5000,
    shutdownGraceMs: 0,
    logLevel: 'debug',
  });
});

test('empty PODMAN_DEBUGD_* variables count as unset', () => {
  const env = { ...baseEnv, PODMAN_DEBUGD_LISTEN: '', PODMAN_DEBUGD_DEFAULT_TTL_SECONDS: '', PODMAN_DEBUGD_LOG_LEVEL: '' };
  const c = loadConfig({ env, cwd, uid: 1000 });
  assert.deepEqual(c.listen, { kind: 'tcp', host: '127.0.0.1', port: 7070 });
  assert.equal(c.defaultTtlSeconds, 900);
  assert.equal(c.logLevel, 'info');
});

test('flags override the environment variables', () => {
  const env = {
    ...baseEnv,
    PODMAN_DEBUGD_LISTEN: '127.0.0.1:1111',
    PODMAN_DEBUGD_PODMAN_SOCKET: '/env.sock',
    PODMAN_DEBUGD_DB: '/env.db',
    PODMAN_DEBUGD_DEFAULT_IMAGE: 'env/image',
  };
  const c = loadConfig({
    flags: { listen: '[::1]:2222', podmanSocket: '/flag.sock', db: 'flag.db', defaultImage: 'flag/image' },
    env,
    cwd,
    uid: 1000,
  });
  assert.deepEqual(c.listen, { kind: 'tcp', host: '::1', port: 2222 });
  assert.deepEqual(c.podmanSocket, { path: '/flag.sock', source: 'configured' });
  assert.equal(c.dbPath, '/srv/debugd/flag.db');
  assert.equal(c.defaultImage, 'flag/image');
});

test('undefined flags leave the environment variables in force', () => {
  const env = { ...baseEnv, PODMAN_DEBUGD_LISTEN: '127.0.0.1:1111' };
  const c = loadConfig({ flags: { listen: undefined, db: undefined }, env, cwd, uid: 1000 });
  assert.deepEqual(c.listen, { kind: 'tcp', host: '127.0.0.1', port: 1111 });
});

test('the podman socket flag wins over CONTAINER_HOST', () => {
  const env = { ...baseEnv, CONTAINER_HOST: 'unix:///from/env.sock' };
  assert.deepEqual(loadConfig({ env, cwd, uid: 1000 }).podmanSocket, { path: '/from/env.sock', source: 'CONTAINER_HOST' });
  assert.deepEqual(loadConfig({ flags: { podmanSocket: '/flag.sock' }, env, cwd, uid: 1000 }).podmanSocket, {
    path: '/flag.sock',
    source: 'configured',
  });
});

test('several bad values (type/range/enum) are reported together, each naming its variable', () => {
  const problems = problemsOf({
    env: {
      ...baseEnv,
      PODMAN_DEBUGD_MAX_LIFETIME_SECONDS: 'lots',
      PODMAN_DEBUGD_LOG_LEVEL: 'loud',
      PODMAN_DEBUGD_START_PODMAN: 'sometimes',
      PODMAN_DEBUGD_MAX_OUTPUT_BYTES: '10',
    },
    cwd,
    uid: 1000,
  });
  assert.equal(problems.length, 4, problems.join('\n'));
  for (const name of [
    'PODMAN_DEBUGD_MAX_LIFETIME_SECONDS',
    'PODMAN_DEBUGD_LOG_LEVEL',
    'PODMAN_DEBUGD_START_PODMAN',
    'PODMAN_DEBUGD_MAX_OUTPUT_BYTES',
  ]) {
    assert.ok(problems.some((p) => p.includes(name)), `a problem names ${name}`);
  }
});

test('non-integer numbers are rejected', () => {
  const problems = problemsOf({ env: { ...baseEnv, PODMAN_DEBUGD_DEFAULT_TTL_SECONDS: '60.5' }, cwd, uid: 1000 });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^defaultTtlSeconds \(PODMAN_DEBUGD_DEFAULT_TTL_SECONDS\)/);
});

test('bad listen, bad socket, ttl above max and a spaced image are reported together', () => {
  const problems = problemsOf({
    flags: { listen: 'nowhere', podmanSocket: 'relative.sock', defaultImage: 'busy box' },
    env: { ...baseEnv, PODMAN_DEBUGD_DEFAULT_TTL_SECONDS: '5000', PODMAN_DEBUGD_MAX_LIFETIME_SECONDS: '600' },
    cwd,
    uid: 1000,
  });
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('listen (PODMAN_DEBUGD_LISTEN)') && p.includes('nowhere')));
  assert.ok(problems.some((p) => p.startsWith('podmanSocket (PODMAN_DEBUGD_PODMAN_SOCKET):') && p.includes('relative.sock')));
  assert.ok(problems.some((p) => p.includes('defaultTtlSeconds (5000) exceeds maxLifetimeSeconds (600)')));
  assert.ok(problems.some((p) => p.startsWith('defaultImage:') && p.includes('white space')));
});

test('an unsupported CONTAINER_HOST is a ConfigError', () => {
  const problems = problemsOf({ env: { CONTAINER_HOST: 'ssh://h/run/podman.sock' }, cwd, uid: 1000 });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /CONTAINER_HOST/);
});

test('an empty listen flag is an error rather than the default', () => {
  const problems = problemsOf({ flags: { listen: '' }, env: baseEnv, cwd, uid: 1000 });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^listen/);
});

test('the result is frozen, including the nested addresses', () => {
  const c = loadConfig({ env: baseEnv, cwd, uid: 1000 });
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.listen));
  assert.ok(Object.isFrozen(c.podmanSocket));
  assert.throws(() => {
    (c as { maxLifetimeSeconds: number }).maxLifetimeSeconds = 1;
  }, TypeError);
  assert.throws(() => {
    (c.listen as { port: number }).port = 1;
  }, TypeError);
  assert.equal(c.maxLifetimeSeconds, 4 * 3600);
});

test(
  'schema problems and listen/socket problems are reported together',

  () => {
    const problems = problemsOf({
      env: { ...baseEnv, PODMAN_DEBUGD_LISTEN: 'nowhere', PODMAN_DEBUGD_LOG_LEVEL: 'loud' },
      cwd,
      uid: 1000,
    });
    assert.equal(problems.length, 2, problems.join('\n'));
  },
);

test(
  'an empty STATE_DIRECTORY counts as unset',

  () => {
    const c = loadConfig({ env: { ...baseEnv, STATE_DIRECTORY: '' }, cwd, uid: 1000 });
    assert.equal(c.dbPath, '/srv/debugd/var/podman-debugd.db');
  },
);

test(
  'a blank numeric variable is rejected, not read as 0',

  () => {
    problemsOf({ env: { ...baseEnv, PODMAN_DEBUGD_SHUTDOWN_GRACE_MS: ' ' }, cwd, uid: 1000 });
  },
);

test('limits: out-of-range values and a headers timeout above the request timeout are refused', () => {
  const problems = problemsOf({
    env: {
      ...baseEnv,
      PODMAN_DEBUGD_RATE_LIMIT_BURST: '0',
      PODMAN_DEBUGD_MAX_COMMAND_ARGS: '0',
      PODMAN_DEBUGD_MAX_STDIN_BYTES: String(64 * 1024 * 1024),
    },
    cwd,
    uid: 1000,
  });
  assert.equal(problems.length, 3, problems.join('\n'));
  for (const name of ['PODMAN_DEBUGD_RATE_LIMIT_BURST', 'PODMAN_DEBUGD_MAX_COMMAND_ARGS', 'PODMAN_DEBUGD_MAX_STDIN_BYTES']) {
    assert.ok(problems.some((p) => p.includes(name)), `a problem names ${name}`);
  }
  const timeouts = problemsOf({
    env: { ...baseEnv, PODMAN_DEBUGD_HEADERS_TIMEOUT_MS: '30000', PODMAN_DEBUGD_REQUEST_TIMEOUT_MS: '20000' },
    cwd,
    uid: 1000,
  });
  assert.deepEqual(timeouts, ['headersTimeoutMs (30000) exceeds requestTimeoutMs (20000)']);
});
