/**
 * The CLI client end to end: the real binary against a real `podman-debugd serve` and a real
 * private Podman. debug -> ls -> exec (PID 1 is the target) -> end, over TCP and over the daemon's
 * unix socket; --json output parses; problem+json answers become sentences; an unreachable daemon
 * is named with how to start it; the config file is used, and refused when others can read it.
 * The daemon's /metrics is checked along the way (counted, and with no id or name in a label).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ServeProcess, cleanEnv, cli, serve } from '../support/cli-process.js';
import { type PodmanHarness, TOOLBOX_IMAGE, startPodmanHarness } from '../support/podman-harness.js';

let podman: PodmanHarness;
let dir: string;
let db: string;
let token: string;
let scraper: string;
let daemon: ServeProcess | undefined;
let base: string;
let home: string;

/** The client's environment: nothing from the developer's own config or variables. */
function clientEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ HOME: home, XDG_CONFIG_HOME: '', ...extra });
}

function envFor(url: string, bearer = token): NodeJS.ProcessEnv {
  return clientEnv({ PODMAN_DEBUGD_URL: url, PODMAN_DEBUGD_TOKEN: bearer });
}

async function startDaemon(listen: string): Promise<string> {
  daemon = serve(['--listen', listen, '--podman-socket', podman.socketPath, '--db', db, '--default-image', TOOLBOX_IMAGE], cleanEnv());
  const line = await daemon.waitForLog((l) => l.msg === 'podman-debugd is listening');
  return String(line.listen);
}

async function stopDaemon(): Promise<void> {
  if (!daemon) return;
  daemon.child.kill('SIGTERM');
  assert.equal(await daemon.exited, 0);
  daemon = undefined;
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  podman = await startPodmanHarness();
  await podman.startTarget('web');
  dir = mkdtempSync(join(tmpdir(), 'podman-debugd-client-'));
  home = join(dir, 'home');
  mkdirSync(home);
  db = join(dir, 'daemon.db');
  const created = await cli(['token', 'create', '--db', db, '--name', 'alice'], cleanEnv());
  assert.equal(created.code, 0, created.stderr);
  token = created.stdout.trim();
  scraper = (await cli(['token', 'create', '--db', db, '--name', 'prometheus', '--scope', 'metrics:read'], cleanEnv())).stdout.trim();
  base = `http://${await startDaemon('127.0.0.1:0')}`;
});

after(async () => {
  if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  await podman?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the CLI client over TCP', () => {
  let sessionId: string;

  it('containers lists the target, as a table and as JSON', async () => {
    const table = await cli(['containers'], envFor(base));
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+STATE\s+IMAGE\s+POD\s+SESSIONS\s+ID$/m);
    assert.match(table.stdout, /^web\s+running\s+\S+\s+-\s+0\s+[0-9a-f]{12}$/m);
    const json = await cli(['containers', '--json'], envFor(base));
    assert.equal(json.code, 0, json.stderr);
    const containers = JSON.parse(json.stdout) as Array<{ name: string; state: string }>;
    assert.deepEqual(containers.find((c) => c.name === 'web')?.state, 'running');
  });

  it('debug starts a session and says how to use it', async () => {
    const result = await cli(['debug', 'web', '--ttl', '15m', '--profile', 'general', '--reason', 'INC-42: 500s on /checkout'], envFor(base));
    assert.equal(result.code, 0, result.stderr);
    const match = /^Session ([0-9a-f-]{36}) is active: sidecar (debug-web-\w+) \(profile general\)/m.exec(result.stdout);
    assert.ok(match, result.stdout);
    sessionId = match[1]!;
    assert.match(result.stdout, /lease ends in 1[45]m/);
    assert.match(result.stdout, new RegExp(`podman-debugd exec ${sessionId.slice(0, 8)} -- ps`));
  });

  it('ls shows it in a table, and --json parses', async () => {
    const table = await cli(['ls'], envFor(base));
    assert.equal(table.code, 0, table.stderr);
    process.stdout.write(`# example ls output:\n${table.stdout.trimEnd().replace(/^/gm, '#   ')}\n`);
    assert.match(table.stdout, /^ID\s+TARGET\s+PROFILE\s+STATE\s+OWNER\s+CREATED\s+EXPIRES\s+SIDECAR\s+REASON$/m);
    assert.match(table.stdout, new RegExp(`^${sessionId.slice(0, 8)}\\s+web\\s+general\\s+active\\s+alice\\s+\\d+s ago\\s+in 1[45]m\\s+debug-web-\\w+\\s+INC-42: 500s on /checkout$`, 'm'));
    const json = await cli(['ls', '--json'], envFor(base));
    const sessions = JSON.parse(json.stdout) as Array<{ id: string; state: string; target: { name: string } }>;
    assert.deepEqual(sessions.map((s) => [s.id, s.state, s.target.name]), [[sessionId, 'active', 'web']]);
  });

  it('exec runs a command: ps shows the target as PID 1; exit codes and stderr come through', async () => {
    const ps = await cli(['exec', sessionId.slice(0, 8), '--', 'ps'], envFor(base));
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^\s*1\s+\S+\s+\/busybox httpd/m);

    const mixed = await cli(['exec', sessionId, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], envFor(base));
    assert.deepEqual([mixed.code, mixed.stdout, mixed.stderr], [3, 'out\n', 'err\n']);
    assert.equal((await cli(['exec', sessionId, '--', 'no-such-tool'], envFor(base))).code, 127);

    const json = await cli(['exec', sessionId.slice(0, 6), '--json', '--', 'echo', 'hi there'], envFor(base));
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout);
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, 'hi there\n');

    const slow = await cli(['exec', sessionId, '--timeout', '1s', '--', 'sh', '-c', 'echo started; sleep 10'], envFor(base));
    assert.equal(slow.code, 124, slow.stderr);
    assert.equal(slow.stdout, 'started\n');
    assert.match(slow.stderr, /did not finish within 1 s/);
  });

  it('/metrics counts what happened, with no id, principal or container name in a label', async () => {
    const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${scraper}` } });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /^podman_debugd_sessions_active 1$/m);
    assert.match(text, /^podman_debugd_sessions_created_total\{outcome="created",profile="general",source="api"\} 1$/m);
    const execs = Number(/^podman_debugd_exec_duration_seconds_count (\d+)$/m.exec(text)?.[1]);
    assert.ok(execs >= 5, `exec count ${execs}`);
    assert.match(text, /^podman_debugd_podman_request_duration_seconds_count\{op="containerCreate",code="201"\} 1$/m);
    assert.match(text, /^podman_debugd_podman_request_duration_seconds_count\{op="execStart",code="200"\} \d+$/m);
    for (const secret of [sessionId, sessionId.slice(0, 8), '"web"', 'debug-web', 'alice', 'prometheus', 'pdd_']) {
      assert.equal(text.includes(secret), false, `metrics mention ${secret}`);
    }
    assert.equal((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status, 403);
  });

  it('problem+json answers are printed as sentences; usage errors exit 2', async () => {
    const missing = await cli(['debug', 'nosuch'], envFor(base));
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'podman-debugd: Target container not found: no container named or with id "nosuch".\n');

    const badToken = await cli(['ls'], envFor(base, 'pdd_not-a-real-token'));
    assert.equal(badToken.code, 1);
    assert.match(badToken.stderr, /^podman-debugd: Unauthenticated: the bearer token is not valid\.\nCheck the token .*token create --name NAME\n$/);

    const invalid = await cli(['debug', 'web', '--profile', 'root'], envFor(base));
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^podman-debugd: Bad request:\n {2}- profile: .+\n$/);

    const unknown = await cli(['exec', 'ffff', '--', 'ps'], envFor(base));
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /no session of yours matches "ffff"/);

    for (const args of [['exec', sessionId], ['exec', '--', 'ps'], ['debug'], ['ls', 'extra'], ['end'], ['debug', 'web', '--ttl', 'soon'], ['exec', sessionId, '--timeout', '10m', '--', 'ps']]) {
      const result = await cli(args, envFor(base));
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /--help' for usage/);
    }
    const noToken = await cli(['ls'], clientEnv({ PODMAN_DEBUGD_URL: base }));
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /no token: pass --token, set PODMAN_DEBUGD_TOKEN or put token=\.\.\. in .*\/\.config\/podman-debugd\/config/);
    for (const command of ['debug', 'ls', 'exec', 'end', 'containers']) {
      const help = await cli([command, '--help'], clientEnv());
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: podman-debugd /);
    }
  });

  it('an unreachable daemon is named, with how to start it', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const ls = await cli(['ls', '--url', url, '--token', token], clientEnv());
    assert.equal(ls.code, 1);
    assert.match(ls.stderr, new RegExp(`^podman-debugd: cannot reach the podman-debugd daemon at ${url} \\(connection refused\\)\\.\\nIs it running\\? Start it with \`podman-debugd serve\``));
    assert.match(ls.stderr, /--url or PODMAN_DEBUGD_URL/);
    const exec = await cli(['exec', sessionId, '--', 'ps'], envFor(url));
    assert.equal(exec.code, 125);
    const socket = join(dir, 'nobody-listens.sock');
    const unix = await cli(['containers'], envFor(`unix:${socket}`));
    assert.equal(unix.code, 1);
    assert.match(unix.stderr, new RegExp(`cannot reach the podman-debugd daemon at unix:${socket} \\(no such socket\\)`));
  });

  it('reads the config file, and refuses one that holds a token others can read', async () => {
    const configDir = join(home, '.config', 'podman-debugd');
    mkdirSync(configDir, { recursive: true });
    const file = join(configDir, 'config');
    writeFileSync(file, `# written by the test\nurl = ${base}\ntoken = ${token}\n`, { mode: 0o644 });
    chmodSync(file, 0o644);
    const refused = await cli(['ls'], clientEnv());
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, new RegExp(`${file} holds a token but other users may access it \\(mode 0644\\); make it private with: chmod 600 ${file}`));

    chmodSync(file, 0o600);
    const keyValue = await cli(['ls', '--json'], clientEnv());
    assert.equal(keyValue.code, 0, keyValue.stderr);
    assert.equal(JSON.parse(keyValue.stdout)[0].id, sessionId);

    writeFileSync(file, JSON.stringify({ url: base, token }));
    assert.equal((await cli(['ls', '--json'], clientEnv())).code, 0);
    // Flags and the environment win over the file.
    assert.equal((await cli(['ls'], clientEnv({ PODMAN_DEBUGD_TOKEN: 'pdd_wrong' }))).code, 1);
    writeFileSync(file, 'url = http://127.0.0.1:1\ncolour = blue\n');
    const typo = await cli(['ls'], envFor(base));
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /config:2: unknown key "colour"/);
    rmSync(file);
  });
});

describe('the CLI client over the daemon\'s unix socket', () => {
  it('finds the session after a restart, ends it, and the sidecar is gone', async () => {
    await stopDaemon();
    const socket = join(dir, 'debugd.sock');
    assert.equal(await startDaemon(`unix:${socket}`), `unix:${socket}`);
    const url = `unix:${socket}`;

    const ls = await cli(['ls', '--json'], envFor(url));
    assert.equal(ls.code, 0, ls.stderr);
    const [session] = JSON.parse(ls.stdout) as Array<{ id: string; sidecar: { name: string } }>;
    assert.ok(session);
    const ps = await cli(['exec', session.sidecar.name, '--', 'ps'], envFor(url));
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^\s*1\s+\S+\s+\/busybox httpd/m);

    const end = await cli(['end', session.id.slice(0, 8), '--url', url], clientEnv({ PODMAN_DEBUGD_TOKEN: token }));
    assert.equal(end.code, 0, end.stderr);
    assert.equal(end.stdout, `Session ${session.id} ended (ended-by-user); sidecar ${session.sidecar.name} removed.\n`);
    assert.equal((await cli(['end', session.id], envFor(url))).code, 0, 'ending an ended session is fine');

    assert.equal((await cli(['ls'], envFor(url))).stdout, 'no active sessions (ls --all shows ended ones)\n');
    const all = await cli(['ls', '--all'], envFor(url));
    assert.match(all.stdout, new RegExp(`^${session.id.slice(0, 8)}\\s+web\\s+general\\s+ended \\(ended-by-user\\)\\s+alice\\s+\\S+ ago\\s+-\\s+`, 'm'));
    assert.deepEqual(await podman.managedContainers(), []);
    await stopDaemon();
  });
});
