/**
 * The real binary: token commands, usage errors, and `serve` as a process that finds no Podman
 * socket, starts its own Podman service (and restarts it if it dies), serves a whole debug session over TCP, finishes an
 * in-flight request on SIGTERM, and stops the Podman service it started.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { readMigrations } from '../../src/db/migrations.js';
import { packageRoot } from '../../src/package-root.js';
import { type PodmanHarness, TOOLBOX_IMAGE, startPodmanHarness } from '../support/podman-harness.js';
import { cleanEnv, cli, serve } from '../support/cli-process.js';

let podman: PodmanHarness;
let dir: string;

before(async () => {
  podman = await startPodmanHarness();
  await podman.startTarget('web');
  dir = mkdtempSync(join(tmpdir(), 'podman-debugd-e2e-'));
});
after(async () => {
  await podman?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the CLI', () => {
  it('--help works on every command and exits 0', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['migrate', '--help'], ['token', '--help'], ['token', 'create', '--help'], ['audit', '--help'], ['audit', 'verify', '--help']]) {
      const result = await cli(args, cleanEnv());
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /Usage/);
    }
  });

  it('usage errors exit 2 with a pointer to --help', async () => {
    for (const args of [['frobnicate'], ['serve', '--no-such-flag'], ['token'], ['token', 'create'], ['serve', '--listen', 'nowhere'], ['audit'], ['audit', 'verify', 'extra']]) {
      const result = await cli(args, cleanEnv({ PODMAN_DEBUGD_DB: join(dir, 'usage.db') }));
      assert.equal(result.code, 2, `${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      assert.match(result.stderr, /--help|Usage:/);
    }
  });

  it('token create prints the token once; only its SHA-256 is stored; list and revoke work', async () => {
    const db = join(dir, 'tokens.db');
    const created = await cli(['token', 'create', '--db', db, '--name', 'oncall'], cleanEnv());
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^pdd_[A-Za-z0-9_-]{43}$/);
    const again = await cli(['token', 'create', '--db', db, '--name', 'oncall'], cleanEnv());
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);

    const sqlite = new BetterSqlite3(db, { readonly: true });
    const dump = JSON.stringify(sqlite.prepare('SELECT * FROM tokens').all());
    sqlite.close();
    assert.equal(dump.includes(token), false);

    const list = await cli(['token', 'list', '--db', db], cleanEnv());
    assert.match(list.stdout, /^oncall\s.*active$/m);
    assert.equal(list.stdout.includes(token), false);
    const revoke = await cli(['token', 'revoke', 'oncall', '--db', db], cleanEnv());
    assert.equal(revoke.code, 0);
    assert.match((await cli(['token', 'list', '--db', db], cleanEnv())).stdout, /^oncall\s.*revoked/m);
    assert.equal((await cli(['token', 'revoke', 'oncall', '--db', db], cleanEnv())).code, 1);
  });

  it('token create takes scopes and an expiry; unknown scopes are a usage error', async () => {
    const db = join(dir, 'scoped.db');
    const created = await cli(['token', 'create', '--db', db, '--name', 'bot', '--scope', 'exec,sessions:read', '--expires', '30d'], cleanEnv());
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /scopes exec sessions:read, expiring 20\d\d-/);
    const list = await cli(['token', 'list', '--db', db], cleanEnv());
    assert.match(list.stdout, /^bot\s+exec,sessions:read\s+\S+\s+20\d\d-\S+\s+-\s+active$/m);
    const plain = await cli(['token', 'create', '--db', db, '--name', 'person'], cleanEnv());
    assert.match(plain.stderr, /scopes sessions:read sessions:write exec audit:read;/);
    const bad = await cli(['token', 'create', '--db', db, '--name', 'x', '--scope', 'root'], cleanEnv());
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown scope root/);
    assert.equal((await cli(['token', 'create', '--db', db, '--name', 'y', '--expires', 'soon'], cleanEnv())).code, 2);
  });

  it('migrate creates the schema and is idempotent', async () => {
    const db = join(dir, 'migrate.db');
    const first = await cli(['migrate', '--db', db], cleanEnv());
    const latest = readMigrations(join(packageRoot(), 'migrations')).length;
    assert.match(first.stdout, new RegExp(`migrated from version 0 to ${latest} \\(0001_init\\.sql`));
    const second = await cli(['migrate', '--db', db], cleanEnv());
    assert.match(second.stdout, new RegExp(`up to date \\(version ${latest}\\)`));
  });

  it('audit verify checks the hash chain; the sqlite3 CLI cannot edit events, and an edit it forces is caught', async () => {
    const db = join(dir, 'audit.db');
    for (const name of ['a', 'b', 'c']) assert.equal((await cli(['token', 'create', '--db', db, '--name', name], cleanEnv())).code, 0);
    const intact = await cli(['audit', 'verify', '--db', db], cleanEnv());
    assert.equal(intact.code, 0, intact.stderr);
    assert.match(intact.stdout, /audit chain intact: 3 events verified/);

    const sqlite3 = (sql: string) => {
      try {
        execFileSync('sqlite3', [db, sql], { stdio: 'pipe' });
        return { code: 0, stderr: '' };
      } catch (err) {
        return { code: (err as { status: number }).status, stderr: String((err as { stderr: Buffer }).stderr) };
      }
    };
    const update = sqlite3(`UPDATE audit_events SET actor = 'mallory' WHERE seq = 2`);
    assert.notEqual(update.code, 0);
    assert.match(update.stderr, /append-only/);
    const del = sqlite3('DELETE FROM audit_events WHERE seq = 3');
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /append-only/);
    assert.match((await cli(['audit', 'verify', '--db', db], cleanEnv())).stdout, /3 events verified/);

    // Someone with write access drops the trigger and edits event 2: verify names it.
    assert.equal(sqlite3(`DROP TRIGGER audit_events_no_update; UPDATE audit_events SET actor = 'mallory' WHERE seq = 2;`).code, 0);
    const broken = await cli(['audit', 'verify', '--db', db], cleanEnv());
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /audit chain broken at seq 2: content does not match its hash/);
  });

  it('a database newer than the code is refused with a clear error', async () => {
    const db = join(dir, 'future.db');
    const sqlite = new BetterSqlite3(db);
    sqlite.pragma('user_version = 99');
    sqlite.close();
    const result = await cli(['migrate', '--db', db], cleanEnv());
    assert.equal(result.code, 1);
    assert.match(result.stderr, /schema version 99 is newer than this podman-debugd understands/);
  });
});

describe('serve without a running Podman socket', () => {
  it('starts its own Podman service, serves a session end to end, drains on SIGTERM and stops Podman', async () => {
    const stateDir = join(dir, 'state');
    const db = join(stateDir, 'podman-debugd.db');
    const token = (await cli(['token', 'create', '--db', db, '--name', 'e2e'], cleanEnv())).stdout.trim();
    // Point the Podman that serve starts at the harness's private store and config.
    const storageConf = join(dir, 'storage.conf');
    writeFileSync(
      storageConf,
      `[storage]\ndriver = "overlay"\ngraphroot = "${podman.globalArgs[1]}"\nrunroot = "${podman.globalArgs[3]}"\n`,
    );
    const daemon = serve(
      ['--listen', '127.0.0.1:0', '--default-image', TOOLBOX_IMAGE],
      cleanEnv({
        CONTAINER_HOST: `unix://${join(dir, 'nothing-listens-here.sock')}`,
        CONTAINERS_CONF: podman.env.CONTAINERS_CONF!,
        CONTAINERS_STORAGE_CONF: storageConf,
        PODMAN_DEBUGD_STATE_DIR: stateDir,
      }),
    );
    try {
      const started = await daemon.waitForLog((l) => l.msg?.startsWith('started our own Podman service'));
      assert.equal(started.socket, join(stateDir, 'podman', 'podman.sock'));
      const listening = await daemon.waitForLog((l) => l.msg === 'podman-debugd is listening');
      const base = `http://${listening.listen}`;
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 200);

      const created = await fetch(`${base}/v1/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ target: 'web', reason: 'e2e' }) });
      assert.equal(created.status, 201);
      const session = (await created.json()) as any;
      assert.equal(created.headers.get('location'), `/v1/sessions/${session.id}`);

      const ps = (await (
        await fetch(`${base}/v1/sessions/${session.id}/exec`, { method: 'POST', headers: auth, body: JSON.stringify({ command: ['ps'] }) })
      ).json()) as any;
      assert.match(ps.stdout, /^\s*1\s+\S+\s+\/busybox httpd/m);

      // The Podman service it started dies: it is started again and the daemon recovers.
      process.kill(started.podmanPid, 'SIGKILL');
      const restarted = await daemon.waitForLog((l) => l.msg === 'restarted our own Podman service', 10_000);
      const readyAgain = Date.now() + 5000;
      while ((await fetch(`${base}/readyz`)).status !== 200) {
        assert.ok(Date.now() < readyAgain, 'ready again after our Podman service was restarted');
        await new Promise((r) => setTimeout(r, 100));
      }

      // An exec that takes 2 s is in flight when SIGTERM arrives: it must still complete.
      const inFlight = fetch(`${base}/v1/sessions/${session.id}/exec`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ command: ['sh', '-c', 'sleep 2; echo finished'] }),
      });
      await new Promise((r) => setTimeout(r, 500));
      daemon.child.kill('SIGTERM');
      const response = await inFlight;
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as any).stdout, 'finished\n');
      assert.equal(await daemon.exited, 0);
      await assert.rejects(fetch(`${base}/healthz`), 'the daemon no longer listens');

      assert.ok(daemon.logs.some((l) => l.msg === 'stopped the Podman service we had started'));
      assert.throws(() => process.kill(restarted.podmanPid, 0), /ESRCH/, 'the Podman service it started is gone');

      // The session survives the daemon (issue: sessions outlive restarts); end it through a new run.
      const again = serve(['--listen', '127.0.0.1:0', '--podman-socket', podman.socketPath, '--db', db], cleanEnv());
      try {
        const l2 = await again.waitForLog((l) => l.msg === 'podman-debugd is listening');
        const ended = await fetch(`http://${l2.listen}/v1/sessions/${session.id}`, { method: 'DELETE', headers: auth });
        assert.equal(ended.status, 200);
        assert.equal(((await ended.json()) as any).endReason, 'ended-by-user');
      } finally {
        again.child.kill('SIGTERM');
        assert.equal(await again.exited, 0);
      }
      const left = await podman.podman('ps', '--all', '--filter', 'label=io.podman-debugd.managed=true', '--format', '{{.Names}}');
      assert.equal(left.stdout.trim(), '');
    } finally {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    }
  });
});

describe('the policy file', () => {
  it('policy check validates the shipped example and lists every problem of a bad file', async () => {
    const good = await cli(['policy', 'check', join(packageRoot(), 'examples', 'policy.yaml')], cleanEnv());
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /valid; 4 rule\(s\)/);
    const bad = join(dir, 'bad-policy.yaml');
    writeFileSync(bad, 'version: 1\nrules:\n  - name: a\n    principals: ["[x"]\n    profiles: [root]\n    groups: [missing]\n');
    const result = await cli(['policy', 'check', bad], cleanEnv());
    assert.equal(result.code, 1);
    assert.match(result.stderr, /3 problem\(s\)/);
  });

  it('serve refuses to start with an invalid policy, listing every problem (exit 2)', async () => {
    const bad = join(dir, 'bad-start.json');
    writeFileSync(bad, JSON.stringify({ version: 1, rules: [{ name: 'x', principals: ['*'], profiles: ['root'], maxTtlSeconds: 5 }] }));
    const result = await cli(['serve', '--listen', '127.0.0.1:0', '--podman-socket', podman.socketPath, '--db', join(dir, 'p.db'), '--policy', bad], cleanEnv());
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid policy:\n {2}- rules\[0\]\.profiles\[0\]: .*\n {2}- rules\[0\]\.maxTtlSeconds: /);
  });

  it('SIGHUP reloads it; an invalid file is refused and the old policy stays in force', async () => {
    const db = join(dir, 'hup.db');
    const policy = join(dir, 'hup-policy.yaml');
    writeFileSync(policy, 'version: 1\nrules:\n  - name: first\n    principals: ["*"]\n');
    const token = (await cli(['token', 'create', '--db', db, '--name', 'hup'], cleanEnv())).stdout.trim();
    const daemon = serve(['--listen', '127.0.0.1:0', '--podman-socket', podman.socketPath, '--db', db, '--policy', policy], cleanEnv());
    try {
      const loaded = await daemon.waitForLog((l) => l.msg === 'policy in force');
      assert.deepEqual(loaded.rules, ['first']);
      const listening = await daemon.waitForLog((l) => l.msg === 'podman-debugd is listening');

      writeFileSync(policy, 'version: 1\nrules:\n  - name: first\n    principals: [nobody]\n  - name: second\n    principals: ["*"]\n');
      daemon.child.kill('SIGHUP');
      const reloaded = await daemon.waitForLog((l) => l.msg === 'policy reloaded');
      assert.deepEqual(reloaded.rules, ['first', 'second']);

      writeFileSync(policy, 'version: 1\nrules: [ {name: broken, principals: ["*"], profiles: [root]} ]\n');
      daemon.child.kill('SIGHUP');
      const rejected = await daemon.waitForLog((l) => l.msg?.startsWith('policy reload rejected'));
      assert.match(rejected.problems.join('\n'), /rules\[0\]\.profiles\[0\]/);
      assert.deepEqual(rejected.kept.rules, ['first', 'second']);

      // Still serving, and the audit trail has all three policy events.
      const audit = await fetch(`http://${listening.listen}/v1/audit?limit=100`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(audit.status, 200);
      const types = ((await audit.json()) as any).items.map((e: any) => e.type).filter((t: string) => t.startsWith('policy.'));
      assert.deepEqual(types, ['policy.loaded', 'policy.loaded', 'policy.reload-rejected']);
    } finally {
      daemon.child.kill('SIGTERM');
      assert.equal(await daemon.exited, 0);
    }
  });
});
