import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choosePodmanSocket } from '../../src/config/podman-socket.js';

test('explicit absolute path is used as given', () => {
  assert.deepEqual(choosePodmanSocket('/srv/podman.sock', {}, 1000), { path: '/srv/podman.sock', source: 'configured' });
});

test('explicit unix:// prefix is stripped', () => {
  assert.deepEqual(choosePodmanSocket('unix:///run/podman/podman.sock', {}, 1000), {
    path: '/run/podman/podman.sock',
    source: 'configured',
  });
});

test('explicit relative path is rejected, with or without unix://', () => {
  for (const value of ['podman.sock', 'run/podman.sock', 'unix://run/podman.sock']) {
    const r = choosePodmanSocket(value, {}, 1000);
    assert.equal(typeof r, 'string', value);
    assert.match(r as string, /must be an absolute path/);
    assert.ok((r as string).includes(value), 'message names the value');
  }
});

test('explicit path wins over CONTAINER_HOST and the defaults', () => {
  const r = choosePodmanSocket('/a.sock', { CONTAINER_HOST: 'unix:///b.sock', XDG_RUNTIME_DIR: '/run/user/5' }, 0);
  assert.deepEqual(r, { path: '/a.sock', source: 'configured' });
});

test('empty explicit value falls through to the other sources', () => {
  assert.deepEqual(choosePodmanSocket('', {}, 0), { path: '/run/podman/podman.sock', source: 'default' });
});

test('CONTAINER_HOST unix:// is used', () => {
  assert.deepEqual(choosePodmanSocket(undefined, { CONTAINER_HOST: 'unix:///run/custom/podman.sock' }, 1000), {
    path: '/run/custom/podman.sock',
    source: 'CONTAINER_HOST',
  });
});

test('CONTAINER_HOST wins over the root default', () => {
  assert.deepEqual(choosePodmanSocket(undefined, { CONTAINER_HOST: 'unix:///x.sock' }, 0), {
    path: '/x.sock',
    source: 'CONTAINER_HOST',
  });
});

test('CONTAINER_HOST ssh:// is rejected with a message saying why', () => {
  const host = 'ssh://core@example.org:22/run/podman/podman.sock';
  const r = choosePodmanSocket(undefined, { CONTAINER_HOST: host }, 1000);
  assert.equal(typeof r, 'string');
  assert.ok((r as string).includes(host), 'message names the value');
  assert.match(r as string, /not supported/);
  assert.match(r as string, /unix:\/\//);
});

test('CONTAINER_HOST tcp:// is rejected too', () => {
  assert.equal(typeof choosePodmanSocket(undefined, { CONTAINER_HOST: 'tcp://127.0.0.1:8888' }, 1000), 'string');
});

test('empty CONTAINER_HOST is ignored', () => {
  assert.deepEqual(choosePodmanSocket(undefined, { CONTAINER_HOST: '', XDG_RUNTIME_DIR: '/run/user/7' }, 7), {
    path: '/run/user/7/podman/podman.sock',
    source: 'default',
  });
});

test('uid 0 uses the rootful socket, even with XDG_RUNTIME_DIR set', () => {
  assert.deepEqual(choosePodmanSocket(undefined, {}, 0), { path: '/run/podman/podman.sock', source: 'default' });
  assert.deepEqual(choosePodmanSocket(undefined, { XDG_RUNTIME_DIR: '/run/user/0' }, 0), {
    path: '/run/podman/podman.sock',
    source: 'default',
  });
});

test('non-root uses $XDG_RUNTIME_DIR/podman/podman.sock', () => {
  assert.deepEqual(choosePodmanSocket(undefined, { XDG_RUNTIME_DIR: '/tmp/xdg-1234' }, 1234), {
    path: '/tmp/xdg-1234/podman/podman.sock',
    source: 'default',
  });
});

test('non-root without XDG_RUNTIME_DIR (unset or empty) uses /run/user/<uid>', () => {
  const expected = { path: '/run/user/1500/podman/podman.sock', source: 'default' };
  assert.deepEqual(choosePodmanSocket(undefined, {}, 1500), expected);
  assert.deepEqual(choosePodmanSocket(undefined, { XDG_RUNTIME_DIR: '' }, 1500), expected);
});

test(
  'CONTAINER_HOST unix:// with a relative or empty path is rejected like the flag',

  () => {
    assert.equal(typeof choosePodmanSocket(undefined, { CONTAINER_HOST: 'unix://run/podman.sock' }, 1000), 'string');
    assert.equal(typeof choosePodmanSocket(undefined, { CONTAINER_HOST: 'unix://' }, 1000), 'string');
  },
);
