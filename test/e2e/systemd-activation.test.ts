/**
 * `serve` under systemd's protocols, with the real tools: socket activation through
 * systemd-socket-activate (a unix socket and TCP passed as fd 3 and 4), and sd_notify through a
 * real datagram socket as NOTIFY_SOCKET (READY=1 once it answers, WATCHDOG=1 while healthy,
 * STOPPING=1 on SIGTERM). Children must not inherit the hand-over variables.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSocket } from 'unix-dgram';
import { createLogger } from '../../src/log/logger.js';
import { openNotifier } from '../../src/systemd/notify.js';
import { type PodmanHarness, startPodmanHarness } from '../support/podman-harness.js';
import { cleanEnv, cli, serve } from '../support/cli-process.js';

function requireTool(command: string, debianPackage: string): void {
  const probe = spawnSync(command, ['--version'], { stdio: 'ignore' });
  if (probe.error) {
    throw new Error(`${command} is missing: install Debian's ${debianPackage} package (apt-get install -y ${debianPackage}, or bash scripts/setup.sh --test)`);
  }
}

let podman: PodmanHarness;
let dir: string;

before(async () => {
  requireTool('systemd-socket-activate', 'systemd');
  podman = await startPodmanHarness();
  dir = mkdtempSync(join(tmpdir(), 'podman-debugd-systemd-'));
});
after(async () => {
  await podman?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One HTTP request over a unix socket. */
function unixGet(socketPath: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, headers, timeout: 60_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer on ${socketPath} in 60 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** A NOTIFY_SOCKET: a bound unix datagram socket that records what arrives, and when. */
function notifyReceiver(path: string) {
  const messages: Array<{ at: number; fields: string[] }> = [];
  const waiters: Array<() => void> = [];
  const socket = createSocket('unix_dgram', (buf) => {
    messages.push({ at: Date.now(), fields: buf.toString('utf8').split('\n') });
    for (const wake of waiters.splice(0)) wake();
  });
  socket.bind(path);
  return {
    messages,
    /** Resolves with the first message (in arrival order) for which predicate holds. */
    async waitFor(predicate: (fields: string[]) => boolean, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => predicate(m.fields));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching sd_notify message in ${timeoutMs} ms; got ${JSON.stringify(messages)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    close: () => socket.close(),
  };
}

function environOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
}

describe('socket activation (systemd-socket-activate)', () => {
  it('serves the passed unix socket and TCP socket instead of --listen; its Podman child inherits none of the hand-over', async () => {
    const stateDir = join(dir, 'activated');
    const db = join(stateDir, 'podman-debugd.db');
    const token = (await cli(['token', 'create', '--db', db, '--name', 'activation'], cleanEnv())).stdout.trim();
    const apiSocket = join(dir, 'api.sock');
    const [port, ignoredPort] = [await freePort(), await freePort()];
    const receiver = notifyReceiver(join(dir, 'notify-activation.sock'));
    // The daemon starts its own Podman (nothing answers at CONTAINER_HOST), on the harness's store.
    const storageConf = join(dir, 'storage.conf');
    writeFileSync(storageConf, `[storage]\ndriver = "overlay"\ngraphroot = "${podman.globalArgs[1]}"\nrunroot = "${podman.globalArgs[3]}"\n`);
    const env = cleanEnv({
      CONTAINER_HOST: `unix://${join(dir, 'nothing-listens-here.sock')}`,
      CONTAINERS_CONF: podman.env.CONTAINERS_CONF!,
      CONTAINERS_STORAGE_CONF: storageConf,
      PODMAN_DEBUGD_STATE_DIR: stateDir,
      NOTIFY_SOCKET: join(dir, 'notify-activation.sock'),
    });
    // systemd-socket-activate passes on only the variables named with -E.
    const passOn = ['PATH', 'HOME', 'CONTAINER_HOST', 'CONTAINERS_CONF', 'CONTAINERS_STORAGE_CONF', 'PODMAN_DEBUGD_STATE_DIR', 'NOTIFY_SOCKET'];
    const launcher = [
      'systemd-socket-activate',
      '--listen', apiSocket,
      '--listen', `127.0.0.1:${port}`,
      '--fdname=api:tcp',
      ...passOn.flatMap((name) => ['-E', `${name}=${env[name] ?? ''}`]),
    ];
    const daemon = serve(['--listen', `127.0.0.1:${ignoredPort}`], env, launcher);
    try {
      // systemd-socket-activate execs the daemon on the first connection, which waits in the
      // socket's backlog meanwhile: a client never sees "connection refused" during a (re)start.
      while (!existsSync(apiSocket)) {
        assert.equal(daemon.child.exitCode, null, 'systemd-socket-activate exited');
        await new Promise((r) => setTimeout(r, 20));
      }
      const first = await unixGet(apiSocket, '/readyz');
      assert.equal(first.status, 200, first.body);

      const activated = await daemon.waitForLog((l) => l.msg?.startsWith('serving the sockets passed by systemd'));
      assert.deepEqual(activated.sockets, [{ fd: 3, name: 'api' }, { fd: 4, name: 'tcp' }]);
      const listening = await daemon.waitForLog((l) => l.msg === 'podman-debugd is listening');
      assert.equal(listening.listen, `unix:${apiSocket} 127.0.0.1:${port}`);
      assert.equal(daemon.child.pid, Number((await daemon.waitForLog((l) => typeof l.pid === 'number')).pid), 'exec in place: LISTEN_PID is the daemon');

      const containers = await unixGet(apiSocket, '/v1/containers', { authorization: `Bearer ${token}` });
      assert.equal(containers.status, 200, containers.body);
      const overTcp = await fetch(`http://127.0.0.1:${port}/v1/sessions`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(overTcp.status, 200);
      await assert.rejects(
        new Promise((resolve, reject) => connect(ignoredPort, '127.0.0.1').once('connect', resolve).once('error', reject)),
        /ECONNREFUSED/,
        '--listen is ignored under socket activation',
      );

      const ready = await receiver.waitFor((f) => f.includes('READY=1'));
      assert.ok(ready.fields.includes(`STATUS=Serving on unix:${apiSocket} 127.0.0.1:${port}`), JSON.stringify(ready.fields));

      const started = await daemon.waitForLog((l) => l.msg?.startsWith('started our own Podman service'));
      const inherited = environOf(started.podmanPid).filter((v) => /^(LISTEN_PID|LISTEN_FDS|LISTEN_FDNAMES|NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=/.test(v));
      assert.deepEqual(inherited, [], 'the Podman service started by the daemon must not see the hand-over variables');

      daemon.child.kill('SIGTERM');
      assert.equal(await daemon.exited, 0);
      assert.ok(existsSync(apiSocket) && lstatSync(apiSocket).isSocket(), 'the passed socket belongs to its unit: the daemon leaves it in place');
      await receiver.waitFor((f) => f.includes('STOPPING=1'));
    } finally {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
      receiver.close();
    }
  });
});

describe('sd_notify (NOTIFY_SOCKET, WATCHDOG_USEC)', () => {
  it('READY=1 once /readyz answers 200, WATCHDOG=1 every WATCHDOG_USEC/2, STOPPING=1 on SIGTERM', async () => {
    const notifyPath = join(dir, 'notify.sock');
    const receiver = notifyReceiver(notifyPath);
    const port = await freePort();
    const daemon = serve(
      ['--listen', `127.0.0.1:${port}`, '--podman-socket', podman.socketPath, '--db', join(dir, 'notify.db')],
      cleanEnv({ NOTIFY_SOCKET: notifyPath, WATCHDOG_USEC: '300000' }),
    );
    try {
      const ready = await receiver.waitFor((f) => f.includes('READY=1'));
      // Asked the moment READY=1 arrives: the daemon must already answer, and be ready.
      const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(readyz.status, 200, await readyz.text());
      assert.equal(receiver.messages[0], ready, 'READY=1 is the first message');
      assert.ok(ready.fields.includes(`STATUS=Serving on 127.0.0.1:${port}`), JSON.stringify(ready.fields));
      const listening = await daemon.waitForLog((l) => l.msg === 'podman-debugd is listening');
      assert.equal(listening.listen, `127.0.0.1:${port}`);

      await new Promise((r) => setTimeout(r, 1200));
      const pings = receiver.messages.filter((m) => m.fields.includes('WATCHDOG=1'));
      assert.ok(pings.length >= 4, `expected a WATCHDOG=1 about every 150 ms, got ${pings.length} in 1.2 s`);
      const gaps = pings.slice(1).map((p, i) => p.at - pings[i]!.at);
      assert.ok(Math.max(...gaps) < 1000, `watchdog gaps ${gaps.join(', ')} ms`);

      daemon.child.kill('SIGTERM');
      const stopping = await receiver.waitFor((f) => f.includes('STOPPING=1'));
      assert.equal(await daemon.exited, 0);
      const afterStop = receiver.messages.filter((m) => m.at > stopping.at && m.fields.includes('WATCHDOG=1'));
      assert.deepEqual(afterStop, [], 'no watchdog pings once stopping');
    } finally {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
      receiver.close();
    }
  });

  it('reaches an abstract NOTIFY_SOCKET (@name) too', async () => {
    const python = spawnSync('python3', ['--version'], { stdio: 'ignore' });
    if (python.error) throw new Error('python3 is missing (it receives on the abstract socket): apt-get install -y python3, or bash scripts/setup.sh');
    requireTool('systemd-notify', 'systemd');
    const name = `podman-debugd-test-${process.pid}-${Date.now()}`;
    // Node cannot bind an abstract datagram socket; Python can.
    const receiver = spawn('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind("\\0"+sys.argv[1])\nprint("bound",flush=True)\ns.settimeout(20)\nprint(s.recv(4096).decode().replace("\\n","|"),flush=True)', name]);
    let out = '';
    receiver.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise((resolve) => receiver.once('exit', resolve));
    while (!out.includes('bound')) {
      assert.equal(receiver.exitCode, null, 'the python receiver died');
      await new Promise((r) => setTimeout(r, 20));
    }
    const notifier = await openNotifier({ socket: `@${name}`, watchdogMs: null, problems: [] }, createLogger('silent'));
    await notifier.ready('Serving on unix:/nowhere');
    await notifier.close();
    await exited;
    assert.match(out, /READY=1\|STATUS=Serving on unix:\/nowhere/);
  });
});
