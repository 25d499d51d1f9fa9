import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configPath, resolveClientSettings } from '../../src/cli/client/client-config.js';
import { parseDaemonUrl } from '../../src/cli/client/daemon-url.js';
import { formatTable } from '../../src/cli/client/table.js';
import { UsageError } from '../../src/cli/usage.js';

const home = mkdtempSync(join(tmpdir(), 'podman-debugd-client-config-'));
after(() => rmSync(home, { recursive: true, force: true }));

describe('daemon URLs', () => {
  it('parses TCP, TLS and unix socket forms', () => {
    assert.deepEqual(parseDaemonUrl('http://127.0.0.1:7070', 'x'), { kind: 'tcp', protocol: 'http:', host: '127.0.0.1', port: 7070, basePath: '', text: 'http://127.0.0.1:7070' });
    assert.deepEqual(parseDaemonUrl('127.0.0.1:7070', 'x'), parseDaemonUrl('http://127.0.0.1:7070/', 'x'));
    assert.equal((parseDaemonUrl('https://debugd.example/api/', 'x') as { port: number }).port, 443);
    assert.equal((parseDaemonUrl('https://debugd.example/api/', 'x') as { basePath: string }).basePath, '/api');
    assert.equal((parseDaemonUrl('http://[::1]:7070', 'x') as { host: string }).host, '::1');
    assert.deepEqual(parseDaemonUrl('unix:/run/podman-debugd/api.sock', 'x'), { kind: 'unix', socketPath: '/run/podman-debugd/api.sock', text: 'unix:/run/podman-debugd/api.sock' });
    assert.deepEqual(parseDaemonUrl('unix:///run/x.sock', 'x'), parseDaemonUrl('unix:/run/x.sock', 'x'));
  });

  it('refuses what it cannot use, naming where the value came from', () => {
    for (const bad of ['unix:relative.sock', 'ftp://host', 'http://user:pw@host:1', 'http://host:1/?q=1', 'http://', 'not a url']) {
      assert.throws(() => parseDaemonUrl(bad, 'PODMAN_DEBUGD_URL'), (err: Error) => err instanceof UsageError && err.message.startsWith(`PODMAN_DEBUGD_URL "${bad}"`), bad);
    }
  });
});

describe('client settings', () => {
  const env = { HOME: home };
  const file = configPath(env);
  mkdirSync(join(home, '.config', 'podman-debugd'), { recursive: true });

  it('flags over environment over the config file over the default', () => {
    rmSync(file, { force: true });
    assert.deepEqual(resolveClientSettings({}, env).url.text, 'http://127.0.0.1:7070');
    assert.equal(resolveClientSettings({}, env).token, undefined);
    writeFileSync(file, 'url = unix:/from/file.sock\ntoken = "pdd_file"\n', { mode: 0o600 });
    assert.deepEqual([resolveClientSettings({}, env).url.text, resolveClientSettings({}, env).token], ['unix:/from/file.sock', 'pdd_file']);
    const withEnv = { ...env, PODMAN_DEBUGD_URL: 'http://env:1', PODMAN_DEBUGD_TOKEN: 'pdd_env\n' };
    assert.deepEqual([resolveClientSettings({}, withEnv).url.text, resolveClientSettings({}, withEnv).token], ['http://env:1', 'pdd_env']);
    const flags = resolveClientSettings({ url: 'http://flag:2', token: 'pdd_flag' }, withEnv);
    assert.deepEqual([flags.url.text, flags.token], ['http://flag:2', 'pdd_flag']);
  });

  it('reads JSON too, honours XDG_CONFIG_HOME, and rejects unknown keys', () => {
    writeFileSync(file, JSON.stringify({ url: 'http://json:3', token: 'pdd_json' }), { mode: 0o600 });
    assert.equal(resolveClientSettings({}, env).token, 'pdd_json');
    assert.equal(configPath({ HOME: '/h', XDG_CONFIG_HOME: '/x' }), '/x/podman-debugd/config');
    writeFileSync(file, JSON.stringify({ url: 'http://json:3', tokn: 'x' }));
    assert.throws(() => resolveClientSettings({}, env), /unknown key "tokn"/);
    writeFileSync(file, 'url http://x\n');
    assert.throws(() => resolveClientSettings({}, env), /config:1: expected key=value/);
  });

  it('refuses a config file holding a token that others may read; a URL alone is fine', () => {
    writeFileSync(file, 'token = pdd_secret\n');
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      chmodSync(file, mode);
      assert.throws(() => resolveClientSettings({}, env), /holds a token but other users may access it .*chmod 600/);
    }
    writeFileSync(file, 'url = http://shared:1\n');
    chmodSync(file, 0o644);
    assert.equal(resolveClientSettings({}, env).url.text, 'http://shared:1');
  });
});

describe('tables', () => {
  it('align columns and neutralise terminal escapes in data', () => {
    assert.equal(formatTable(['A', 'BB'], [['xyz', '1'], ['q', '\u001b[31mred\u001b[0m']]), 'A    BB\nxyz  1\nq    ?[31mred?[0m\n');
  });
});
