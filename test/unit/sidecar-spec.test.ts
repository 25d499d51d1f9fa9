import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInspect } from '../../src/podman/types.js';
import { buildSidecarSpec, randomSuffix, sidecarName } from '../../src/sessions/sidecar-spec.js';

const TARGET_ID = 'f00dfeed'.repeat(8);

function target(overrides: Partial<ContainerInspect> = {}): ContainerInspect {
  return {
    Id: TARGET_ID,
    Name: 'web',
    ImageName: 'docker.io/library/nginx:latest',
    State: { Status: 'running', Running: true, Paused: false, Pid: 4242 },
    Config: { Labels: null },
    ...overrides,
  };
}

const base = {
  sessionId: '6f1c2b1e-0000-4000-8000-000000000001',
  name: 'debug-web-abc123',
  image: 'docker.io/library/busybox:latest',
  lifetimeSeconds: 900,
  profile: 'baseline' as const,
};

test('keepalive spec: namespaces, labels, remove, timeout, sleep split into entrypoint and command', () => {
  const spec = buildSidecarSpec({ ...base, target: target(), command: null });
  assert.deepEqual(spec, {
    name: 'debug-web-abc123',
    image: 'docker.io/library/busybox:latest',
    pidns: { nsmode: 'container', value: TARGET_ID },
    netns: { nsmode: 'container', value: TARGET_ID },
    labels: {
      'io.podman-debugd.managed': 'true',
      'io.podman-debugd.session': base.sessionId,
      'io.podman-debugd.target': TARGET_ID,
    },
    remove: true,
    timeout: 960,
    stop_timeout: 0,
    entrypoint: ['sleep'],
    command: ['960'],
  });
  assert.equal('pod' in spec, false, 'no pod key for a target outside a pod');
});

test('timeout and keepalive follow the ttl (ttl + 60)', () => {
  const spec = buildSidecarSpec({ ...base, lifetimeSeconds: 30, target: target(), command: null });
  assert.equal(spec.timeout, 90);
  assert.deepEqual(spec.entrypoint, ['sleep']);
  assert.deepEqual(spec.command, ['90']);
});

test('namespaces are joined by target id, not by name', () => {
  const spec = buildSidecarSpec({ ...base, target: target({ Id: 'abc', Name: 'other' }), command: null });
  assert.deepEqual(spec.pidns, { nsmode: 'container', value: 'abc' });
  assert.deepEqual(spec.netns, { nsmode: 'container', value: 'abc' });
  assert.equal(spec.labels['io.podman-debugd.target'], 'abc');
});

test('a custom command is split into entrypoint [argv0] and command [rest]', () => {
  const spec = buildSidecarSpec({ ...base, target: target(), command: ['tcpdump', '-i', 'any', '-n'] });
  assert.deepEqual(spec.entrypoint, ['tcpdump']);
  assert.deepEqual(spec.command, ['-i', 'any', '-n']);
  assert.equal(spec.timeout, 960, 'timeout does not depend on the command');
});

test('a one-word custom command has an empty command list', () => {
  const spec = buildSidecarSpec({ ...base, target: target(), command: ['top'] });
  assert.deepEqual(spec.entrypoint, ['top']);
  assert.deepEqual(spec.command, []);
});

test('the custom command array passed in is not modified', () => {
  const command = ['sh', '-c', 'sleep 5'];
  buildSidecarSpec({ ...base, target: target(), command });
  assert.deepEqual(command, ['sh', '-c', 'sleep 5']);
});

test('pod is set when the target is in a pod', () => {
  const spec = buildSidecarSpec({ ...base, target: target({ Pod: 'pod0123' }), command: null });
  assert.equal(spec.pod, 'pod0123');
});

test('an empty Pod string is treated as no pod', () => {
  const spec = buildSidecarSpec({ ...base, target: target({ Pod: '' }), command: null });
  assert.equal('pod' in spec, false);
});

test('sidecarName has the form debug-<name>-<6 of [a-z0-9]>', () => {
  for (let i = 0; i < 50; i++) {
    assert.match(sidecarName('web'), /^debug-web-[a-z0-9]{6}$/);
  }
  assert.match(sidecarName('my_app.1'), /^debug-my_app\.1-[a-z0-9]{6}$/);
});

test('sidecarName uses a given suffix verbatim', () => {
  assert.equal(sidecarName('web', 'abc123'), 'debug-web-abc123');
});

test('sidecarName suffixes are random', () => {
  const names = new Set(Array.from({ length: 20 }, () => sidecarName('web')));
  assert.ok(names.size > 1, 'twenty names were all identical');
});

test('randomSuffix honours the length and alphabet', () => {
  assert.match(randomSuffix(), /^[a-z0-9]{6}$/);
  assert.match(randomSuffix(20), /^[a-z0-9]{20}$/);
  assert.equal(randomSuffix(0), '');
});

test('each profile sets exactly its Podman fields', () => {
  const spec = (profile: 'restricted' | 'baseline' | 'general' | 'netadmin' | 'sysadmin') =>
    buildSidecarSpec({ ...base, target: target(), command: null, profile });
  const pick = (s: ReturnType<typeof spec>) => ({
    cap_add: s.cap_add,
    cap_drop: s.cap_drop,
    privileged: s.privileged,
    no_new_privileges: s.no_new_privileges,
    user: s.user,
  });
  const none = { cap_add: undefined, cap_drop: undefined, privileged: undefined, no_new_privileges: undefined, user: undefined };
  assert.deepEqual(pick(spec('restricted')), { ...none, cap_drop: ['ALL'], no_new_privileges: true, user: '65534:65534' });
  assert.deepEqual(pick(spec('baseline')), none);
  assert.deepEqual(pick(spec('general')), { ...none, cap_add: ['CAP_SYS_PTRACE'] });
  assert.deepEqual(pick(spec('netadmin')), { ...none, cap_add: ['CAP_NET_ADMIN', 'CAP_NET_RAW'] });
  assert.deepEqual(pick(spec('sysadmin')), { ...none, privileged: true });
});
