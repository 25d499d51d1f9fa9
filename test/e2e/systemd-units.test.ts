/**
 * The systemd units as installed: scripts/install.sh into a DESTDIR, then `systemd-analyze verify`
 * (clean: no output) and `systemd-analyze security --offline=yes` (exposure <= 1.5) on that tree,
 * every path the units name present in it, systemd-sysusers and systemd-tmpfiles applying its
 * files, the installed command working, and --uninstall keeping the configuration and the database
 * unless --purge.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packageRoot } from '../../src/package-root.js';

const ROOT = packageRoot();
const MAX_EXPOSURE = 1.5;
let dest: string;
let installOutput: string;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { env, cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  return result;
}

function install(...args: string[]): SpawnSyncReturns<string> {
  return run('bash', ['scripts/install.sh', ...args], { ...process.env, DESTDIR: dest });
}

/** `Key=value` lines of one section of a unit file (later lines add to earlier ones). */
function unitSettings(path: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1)]);
  }
  return settings;
}

const one = (settings: Map<string, string[]>, key: string): string => {
  const values = settings.get(key);
  assert.ok(values && values.length > 0, `${key}= is set`);
  return values.at(-1)!;
};

before(() => {
  const probe = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
  if (probe.error) {
    throw new Error("systemd-analyze is missing: install Debian's systemd package (apt-get install -y systemd, or bash scripts/setup.sh --test)");
  }
  if (!existsSync(join(ROOT, 'dist', 'src', 'main.js'))) throw new Error('dist/ is missing: run npm run build (scripts/setup.sh does)');
  dest = mkdtempSync(join(tmpdir(), 'podman-debugd-destdir-'));
  const result = install('--no-build');
  assert.equal(result.status, 0, `install.sh failed:\n${result.stdout}\n${result.stderr}`);
  installOutput = result.stdout;
});
after(() => {
  if (dest) rmSync(dest, { recursive: true, force: true });
});

describe('scripts/install.sh into a DESTDIR', () => {
  it('installs the daemon, its production dependencies, the units and the configuration', () => {
    for (const path of [
      'usr/lib/podman-debugd/dist/src/main.js',
      'usr/lib/podman-debugd/package.json',
      'usr/lib/podman-debugd/migrations/0001_init.sql',
      'usr/lib/podman-debugd/openapi/openapi.json',
      'usr/lib/podman-debugd/node_modules/better-sqlite3/package.json',
      'usr/lib/podman-debugd/node_modules/unix-dgram/build/Release/unix_dgram.node',
      'usr/lib/systemd/system/podman-debugd.service',
      'usr/lib/systemd/system/podman-debugd.socket',
      'usr/lib/systemd/system/podman.socket.d/podman-debugd.conf',
      'usr/lib/sysusers.d/podman-debugd.conf',
      'usr/lib/tmpfiles.d/podman-debugd.conf',
      'etc/podman-debugd/podman-debugd.env',
      'etc/podman-debugd/policy.yaml',
    ]) {
      assert.ok(existsSync(join(dest, path)), `${path} is installed`);
    }
    for (const devOnly of ['typescript', 'tsx', '@types/node', 'playwright-core']) {
      assert.equal(existsSync(join(dest, 'usr/lib/podman-debugd/node_modules', devOnly)), false, `dev dependency ${devOnly} is not installed`);
    }
    assert.equal(readFileSync(join(dest, 'etc/podman-debugd/policy.yaml'), 'utf8'), readFileSync(join(ROOT, 'examples/policy.yaml'), 'utf8'));
    assert.doesNotMatch(readFileSync(join(dest, 'usr/bin/podman-debugd'), 'utf8'), new RegExp(dest), 'the command does not name the DESTDIR');
  });

  it('the installed command runs from its own tree: --help, migrate, policy check of the installed policy', () => {
    const bin = join(dest, 'usr/bin/podman-debugd');
    accessSync(bin, constants.X_OK);
    const help = run(bin, ['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: podman-debugd/);
    const db = join(dest, 'tmp-check.db');
    const migrate = run(bin, ['migrate', '--db', db]);
    assert.equal(migrate.status, 0, migrate.stderr);
    assert.match(migrate.stdout, /migrated from version 0/);
    rmSync(db, { force: true });
    const policy = run(bin, ['policy', 'check', join(dest, 'etc/podman-debugd/policy.yaml')]);
    assert.equal(policy.status, 0, policy.stderr);
  });

  it('every path and name the units use is provided by the install', () => {
    const unitDir = join(dest, 'usr/lib/systemd/system');
    const service = unitSettings(join(unitDir, 'podman-debugd.service'));
    const socket = unitSettings(join(unitDir, 'podman-debugd.socket'));
    const dropIn = unitSettings(join(unitDir, 'podman.socket.d/podman-debugd.conf'));
    const sysusers = readFileSync(join(dest, 'usr/lib/sysusers.d/podman-debugd.conf'), 'utf8');
    const tmpfiles = readFileSync(join(dest, 'usr/lib/tmpfiles.d/podman-debugd.conf'), 'utf8');

    const execStart = one(service, 'ExecStart').split(/\s+/)[0]!;
    accessSync(join(dest, execStart), constants.X_OK);
    for (const file of service.get('EnvironmentFile') ?? []) assert.ok(existsSync(join(dest, file.replace(/^-/, ''))), `EnvironmentFile ${file}`);
    const environment = (service.get('Environment') ?? []).join('\n');
    const policyFile = /PODMAN_DEBUGD_POLICY_FILE=(\S+)/.exec(environment)?.[1];
    assert.ok(policyFile && existsSync(join(dest, policyFile)), `the policy file ${policyFile} is installed`);
    assert.match(environment, /PODMAN_DEBUGD_PODMAN_SOCKET=\/run\/podman\/podman\.sock/);
    assert.match(environment, /PODMAN_DEBUGD_START_PODMAN=never/);
    const docs = one(service, 'Documentation').replace(/^file:\/\//, '');
    assert.ok(existsSync(join(dest, docs)), `Documentation ${docs}`);
    assert.equal(one(service, 'Type'), 'notify');
    assert.match(one(service, 'ExecReload'), /kill -HUP \$MAINPID/);
    assert.equal(service.has('MemoryDenyWriteExecute'), false, "MemoryDenyWriteExecute= breaks V8's JIT");

    // The user and groups come from sysusers.d; the podman.socket drop-in opens Podman to that group.
    const user = one(service, 'User');
    assert.match(sysusers, new RegExp(`^u ${user} `, 'm'));
    const supplementary = one(service, 'SupplementaryGroups');
    assert.match(sysusers, new RegExp(`^g ${supplementary} `, 'm'));
    assert.match(sysusers, new RegExp(`^m ${user} ${supplementary}$`, 'm'));
    assert.equal(one(dropIn, 'SocketGroup'), supplementary);
    assert.equal(one(dropIn, 'SocketMode'), '0660');

    // The API socket: group podman-debugd (the user's own group), 0660, in the tmpfiles.d directory.
    const listen = one(socket, 'ListenStream');
    assert.equal(listen, '/run/podman-debugd/podman-debugd.sock');
    assert.equal(one(socket, 'SocketGroup'), user);
    assert.equal(one(socket, 'SocketMode'), '0660');
    assert.match(tmpfiles, new RegExp(`^d ${dirname(listen)} 0750 root ${user} -$`, 'm'));
    assert.match(tmpfiles, new RegExp(`^d /var/lib/${one(service, 'StateDirectory')} 0750 ${user} ${user} -$`, 'm'));
  });

  it('systemd-analyze verify is clean and the security exposure is at most 1.5', (t) => {
    // verify --root resolves units and commands inside the root: give it the host's own units
    // (sysinit.target & co, podman.socket for the drop-in) and kill(1) for ExecReload=.
    const analyzeRoot = mkdtempSync(join(tmpdir(), 'podman-debugd-analyze-'));
    try {
      cpSync(dest, analyzeRoot, { recursive: true, verbatimSymlinks: true });
      const hostUnits = realpathSync('/lib/systemd/system');
      const unitDir = join(analyzeRoot, 'usr/lib/systemd/system');
      cpSync(hostUnits, unitDir, { recursive: true, verbatimSymlinks: true, force: false });
      if (!existsSync(join(unitDir, 'podman.socket'))) {
        // Podman's own units, as Debian's podman package ships them, when this host has none.
        writeFileSync(join(unitDir, 'podman.socket'), '[Unit]\nDescription=Podman API Socket\n\n[Socket]\nListenStream=%t/podman/podman.sock\nSocketMode=0660\n\n[Install]\nWantedBy=sockets.target\n');
        writeFileSync(join(unitDir, 'podman.service'), '[Unit]\nDescription=Podman API Service\nRequires=podman.socket\nAfter=podman.socket\n\n[Service]\nType=exec\nExecStart=/usr/bin/podman system service\n');
      }
      mkdirSync(join(analyzeRoot, 'usr/bin'), { recursive: true });
      for (const tool of ['kill', 'podman']) {
        // Only the existence of an executable matters to verify; a stand-in where the host has none.
        const found = (process.env.PATH ?? '').split(':').map((d) => join(d, tool)).find((p) => existsSync(p));
        if (found) cpSync(realpathSync(found), join(analyzeRoot, 'usr/bin', tool));
        else writeFileSync(join(analyzeRoot, 'usr/bin', tool), '#!/bin/sh\n', { mode: 0o755 });
      }

      const verify = run('systemd-analyze', ['verify', `--root=${analyzeRoot}`, 'podman-debugd.service', 'podman-debugd.socket', 'podman.socket']);
      assert.equal(`${verify.stdout}${verify.stderr}`, '', 'systemd-analyze verify prints nothing');
      assert.equal(verify.status, 0);

      const security = run('systemd-analyze', ['security', '--offline=yes', `--root=${analyzeRoot}`, 'podman-debugd.service']);
      assert.equal(security.status, 0, security.stderr);
      const exposure = /Overall exposure level for podman-debugd\.service: (\d+\.\d+)/.exec(security.stdout)?.[1];
      assert.ok(exposure, `no exposure level in:\n${security.stdout}`);
      t.diagnostic(`systemd-analyze security: exposure ${exposure}`);
      assert.ok(Number(exposure) <= MAX_EXPOSURE, `exposure ${exposure} > ${MAX_EXPOSURE}:\n${security.stdout.split('\n').filter((l) => l.startsWith('✗')).join('\n')}`);
    } finally {
      rmSync(analyzeRoot, { recursive: true, force: true });
    }
  });

  it('systemd-sysusers and systemd-tmpfiles accept the installed files and make the user, groups and directories', () => {
    const root = mkdtempSync(join(tmpdir(), 'podman-debugd-sysusers-'));
    try {
      for (const path of ['usr/lib/sysusers.d', 'usr/lib/tmpfiles.d']) cpSync(join(dest, path), join(root, path), { recursive: true });
      mkdirSync(join(root, 'etc'));
      const sysusers = run('systemd-sysusers', [`--root=${root}`]);
      assert.equal(sysusers.status, 0, sysusers.stderr);
      const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
      const user = /^podman-debugd:x:(\d+):(\d+):[^:]*:\/var\/lib\/podman-debugd:/m.exec(passwd);
      assert.ok(user, passwd);
      assert.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^podman:x:\d+:podman-debugd$/m);
      const tmpfiles = run('systemd-tmpfiles', [`--root=${root}`, '--create']);
      assert.equal(`${tmpfiles.stdout}${tmpfiles.stderr}`, '', 'systemd-tmpfiles prints nothing');
      assert.equal(tmpfiles.status, 0);
      const runDir = statSync(join(root, 'run/podman-debugd'));
      assert.equal(runDir.mode & 0o7777, 0o750);
      assert.equal(runDir.gid, Number(user[2]));
      const stateDir = statSync(join(root, 'var/lib/podman-debugd'));
      assert.deepEqual([stateDir.mode & 0o7777, stateDir.uid], [0o750, Number(user[1])]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a second install keeps an edited configuration', () => {
    const envFile = join(dest, 'etc/podman-debugd/podman-debugd.env');
    writeFileSync(envFile, 'PODMAN_DEBUGD_LOG_LEVEL=debug\n');
    assert.match(installOutput, /installed \/etc\/podman-debugd\/podman-debugd\.env/);
    const again = install('--no-build');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /kept the existing \/etc\/podman-debugd\/podman-debugd\.env/);
    assert.equal(readFileSync(envFile, 'utf8'), 'PODMAN_DEBUGD_LOG_LEVEL=debug\n');
  });

  it('--uninstall removes the program and keeps configuration and database; --purge removes those too', () => {
    const db = join(dest, 'var/lib/podman-debugd/podman-debugd.db');
    mkdirSync(dirname(db), { recursive: true });
    writeFileSync(db, 'audit trail');
    const removed = install('--uninstall');
    assert.equal(removed.status, 0, removed.stderr);
    for (const gone of ['usr/lib/podman-debugd', 'usr/bin/podman-debugd', 'usr/lib/systemd/system/podman-debugd.service', 'usr/lib/systemd/system/podman-debugd.socket', 'usr/lib/systemd/system/podman.socket.d', 'usr/lib/sysusers.d/podman-debugd.conf', 'usr/lib/tmpfiles.d/podman-debugd.conf']) {
      assert.equal(existsSync(join(dest, gone)), false, `${gone} is removed`);
    }
    assert.ok(existsSync(db), 'the database is kept');
    assert.ok(existsSync(join(dest, 'etc/podman-debugd/policy.yaml')), 'the configuration is kept');
    const purged = install('--uninstall', '--purge');
    assert.equal(purged.status, 0, purged.stderr);
    assert.equal(existsSync(join(dest, 'etc/podman-debugd')), false);
    assert.equal(existsSync(join(dest, 'var/lib/podman-debugd')), false);
  });
});
