/**
 * Reading systemd's hand-over (sd_listen_fds(3), sd_notify(3)) and the terminal log format: pure
 * parsing. test/e2e/systemd-activation.test.ts runs the real thing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPretty } from '../../src/log/pretty.js';
import { SocketActivationError, listenFds } from '../../src/systemd/listen-fds.js';
import { notifySettings } from '../../src/systemd/notify.js';

describe('listenFds', () => {
  it('returns nothing when no sockets were passed', () => {
    assert.deepEqual(listenFds({}, 100), []);
    assert.deepEqual(listenFds({ LISTEN_FDS: '2' }, 100), [], 'LISTEN_FDS without LISTEN_PID is not for us');
  });

  it('returns nothing when the sockets were passed to another process', () => {
    assert.deepEqual(listenFds({ LISTEN_PID: '99', LISTEN_FDS: '1' }, 100), []);
  });

  it('numbers the sockets from fd 3 and names them from LISTEN_FDNAMES', () => {
    assert.deepEqual(listenFds({ LISTEN_PID: '100', LISTEN_FDS: '2', LISTEN_FDNAMES: 'api:tcp' }, 100), [
      { fd: 3, name: 'api' },
      { fd: 4, name: 'tcp' },
    ]);
    assert.deepEqual(listenFds({ LISTEN_PID: '100', LISTEN_FDS: '1' }, 100), [{ fd: 3, name: 'unknown' }]);
  });

  it('refuses malformed values instead of listening elsewhere', () => {
    assert.throws(() => listenFds({ LISTEN_PID: 'me', LISTEN_FDS: '1' }, 100), SocketActivationError);
    assert.throws(() => listenFds({ LISTEN_PID: '100', LISTEN_FDS: 'x' }, 100), /LISTEN_FDS="x"/);
    assert.throws(() => listenFds({ LISTEN_PID: '100' }, 100), /LISTEN_FDS/);
    assert.throws(() => listenFds({ LISTEN_PID: '100', LISTEN_FDS: '2', LISTEN_FDNAMES: 'one' }, 100), /names 1 sockets but LISTEN_FDS is 2/);
  });
});

describe('notifySettings', () => {
  it('is null without NOTIFY_SOCKET: nothing is ever sent', () => {
    assert.equal(notifySettings({}, 1), null);
    assert.equal(notifySettings({ NOTIFY_SOCKET: '', WATCHDOG_USEC: '1000000' }, 1), null);
  });

  it('takes a path or an abstract @name, and the watchdog interval in ms', () => {
    assert.deepEqual(notifySettings({ NOTIFY_SOCKET: '/run/systemd/notify' }, 1), { socket: '/run/systemd/notify', watchdogMs: null, problems: [] });
    assert.deepEqual(notifySettings({ NOTIFY_SOCKET: '@sd', WATCHDOG_USEC: '30000000' }, 7), { socket: '@sd', watchdogMs: 30_000, problems: [] });
    assert.equal(notifySettings({ NOTIFY_SOCKET: '@sd', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 7)?.watchdogMs, 30_000);
  });

  it('leaves a watchdog meant for another process alone, and reports bad values', () => {
    assert.equal(notifySettings({ NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '8' }, 7)?.watchdogMs, null);
    const bad = notifySettings({ NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '-5' }, 7);
    assert.equal(bad?.watchdogMs, null);
    assert.match(bad?.problems[0] ?? '', /WATCHDOG_USEC="-5"/);
    assert.match(notifySettings({ NOTIFY_SOCKET: 'vsock:2:1' }, 7)?.problems[0] ?? '', /neither a path nor @abstract/);
  });
});

describe('formatPretty', () => {
  it('turns a JSON log line into one readable line, fields after the message', () => {
    const line = JSON.stringify({ level: 'info', time: '2025-01-02T03:04:05.678Z', pid: 1, name: 'podman-debugd', component: 'http', requestId: 'r1', path: '/v1/a b', status: 200, msg: 'request' });
    assert.equal(formatPretty(line), '03:04:05.678 INFO  http: request  requestId=r1 path="/v1/a b" status=200\n');
  });

  it('prints an error stack indented below, and passes non-JSON through', () => {
    const line = JSON.stringify({ level: 'error', time: '2025-01-02T03:04:05.678Z', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' }, msg: 'failed' });
    assert.equal(formatPretty(line), '03:04:05.678 ERROR failed\n    Error: boom\n        at x\n');
    assert.equal(formatPretty('plain text'), 'plain text\n');
  });
});
