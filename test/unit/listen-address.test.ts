import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatListenAddress, parseListenAddress } from '../../src/config/listen-address.js';

test('HOST:PORT parses to a tcp address', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:7070'), { kind: 'tcp', host: '127.0.0.1', port: 7070 });
  assert.deepEqual(parseListenAddress('localhost:80'), { kind: 'tcp', host: 'localhost', port: 80 });
  assert.deepEqual(parseListenAddress('0.0.0.0:0'), { kind: 'tcp', host: '0.0.0.0', port: 0 });
});

test('[v6]:PORT parses with the brackets removed', () => {
  assert.deepEqual(parseListenAddress('[::1]:8080'), { kind: 'tcp', host: '::1', port: 8080 });
  assert.deepEqual(parseListenAddress('[::]:65535'), { kind: 'tcp', host: '::', port: 65535 });
});

test('unix:/absolute/path parses to a unix address', () => {
  assert.deepEqual(parseListenAddress('unix:/run/podman-debugd/api.sock'), {
    kind: 'unix',
    path: '/run/podman-debugd/api.sock',
  });
});

test('unix: with a relative or empty path is rejected', () => {
  for (const value of ['unix:relative.sock', 'unix:run/api.sock', 'unix:']) {
    const r = parseListenAddress(value);
    assert.equal(typeof r, 'string', value);
    assert.match(r as string, /unix:\/absolute\/path/);
  }
});

test('missing port is rejected', () => {
  for (const value of ['127.0.0.1', '127.0.0.1:', 'localhost', '[::1]', '[::1]:']) {
    const r = parseListenAddress(value);
    assert.equal(typeof r, 'string', value);
    assert.match(r as string, /HOST:PORT/);
  }
});

test('port above 65535 is rejected with an out-of-range message', () => {
  const r = parseListenAddress('127.0.0.1:65536');
  assert.equal(typeof r, 'string');
  assert.match(r as string, /port 65536 is out of range/);
  assert.match(parseListenAddress('[::1]:99999') as string, /out of range/);
});

test('other malformed values are rejected', () => {
  for (const value of ['', ':7070', 'host:port', 'host:123456', '::1:80', 'a b:80', 'host:-1', '[::1:80', '::1]:80']) {
    assert.equal(typeof parseListenAddress(value), 'string', JSON.stringify(value));
  }
});

test('formatListenAddress writes each kind back in parseable form', () => {
  assert.equal(formatListenAddress({ kind: 'tcp', host: '127.0.0.1', port: 7070 }), '127.0.0.1:7070');
  assert.equal(formatListenAddress({ kind: 'tcp', host: '::1', port: 8080 }), '[::1]:8080');
  assert.equal(formatListenAddress({ kind: 'unix', path: '/run/x.sock' }), 'unix:/run/x.sock');
});

test('parse then format round-trips', () => {
  for (const value of ['127.0.0.1:7070', 'example.org:443', '[::1]:8080', '[fe80::1]:1', 'unix:/tmp/a.sock']) {
    const parsed = parseListenAddress(value);
    assert.notEqual(typeof parsed, 'string', value);
    if (typeof parsed === 'string') continue;
    assert.equal(formatListenAddress(parsed), value);
  }
});

test(
  'a bracketed host that is not an IPv6 address is rejected',

  () => {
    assert.equal(typeof parseListenAddress('[]:80'), 'string');
    assert.equal(typeof parseListenAddress('[example]:80'), 'string');
  },
);
