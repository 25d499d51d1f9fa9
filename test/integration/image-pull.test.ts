/**
 * "Image missing locally -> pulled", against a real registry: a debug image that is only in a
 * local docker-registry (plain HTTP, marked insecure in Podman's registries.conf the way an
 * operator would) is pulled when a session asks for it; a reference the registry does not have
 * is a 502 with Podman's message and a failed session.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { type LocalRegistry, startLocalRegistry } from '../support/local-registry.js';
import { type PodmanHarness, TARGET_PORT, TOOLBOX_IMAGE, startPodmanHarness } from '../support/podman-harness.js';
import { type TestDaemon, startTestDaemon } from '../support/test-daemon.js';

let registry: LocalRegistry;
let podman: PodmanHarness;
let daemon: TestDaemon;
let confDir: string;
let pushedImage: string;

async function imageExists(reference: string): Promise<boolean> {
  return (await podman.podman('image', 'exists', reference)).code === 0;
}

before(async () => {
  registry = await startLocalRegistry();
  confDir = mkdtempSync(join(tmpdir(), 'podman-debugd-registries-'));
  const registriesConf = join(confDir, 'registries.conf');
  writeFileSync(registriesConf, `[[registry]]\nlocation = "${registry.address}"\ninsecure = true\n`);
  podman = await startPodmanHarness({ registriesConf });
  pushedImage = `${registry.address}/debug/toolbox:1`;
  daemon = startTestDaemon({
    podmanSocket: podman.socketPath,
    flags: { defaultImage: TOOLBOX_IMAGE },
    policy: { version: 1, rules: [{ name: 'tests', principals: ['*'], images: ['default', pushedImage, `${registry.address}/debug/missing:1`] }] },
  });

  const push = await podman.podman('push', '--quiet', '--tls-verify=false', TOOLBOX_IMAGE, pushedImage);
  assert.equal(push.code, 0, `podman push failed: ${push.stderr}`);
  // Pushing does not tag locally, but make sure: the point is that the daemon has to pull it.
  if (await imageExists(pushedImage)) {
    const rmi = await podman.podman('rmi', pushedImage);
    assert.equal(rmi.code, 0, rmi.stderr);
  }
  await podman.startTarget('app');
});

after(async () => {
  await daemon?.close();
  await podman?.stop();
  await registry?.stop();
  if (confDir) rmSync(confDir, { recursive: true, force: true });
});

describe('a debug image missing locally is pulled from the registry', () => {
  let sessionId: string;

  it('the image is in the registry but not in the local store', async () => {
    const tags = await fetch(`http://${registry.address}/v2/debug/toolbox/tags/list`);
    assert.equal(tags.status, 200);
    assert.deepEqual(((await tags.json()) as { tags: string[] }).tags, ['1']);
    assert.equal(await imageExists(pushedImage), false, `${pushedImage} is already present locally`);
  });

  it('POST /v1/sessions with that image pulls it and starts the sidecar', async () => {
    const response = await daemon.api('POST', '/v1/sessions', { body: { target: 'app', image: pushedImage } });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    sessionId = response.body.id;
    assert.equal(response.body.state, 'active');
    assert.equal(response.body.sidecar.image, pushedImage);
    assert.equal(await imageExists(pushedImage), true, `${pushedImage} was not pulled`);
    const inspect = await podman.podman('inspect', '--format', '{{.State.Status}} {{.ImageName}}', response.body.sidecar.name);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(inspect.stdout.trim(), `running ${pushedImage}`);
  });

  it('ps in the session shows the target process as PID 1', async () => {
    const response = await daemon.api('POST', `/v1/sessions/${sessionId}/exec`, { body: { command: ['ps'] } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.exitCode, 0, response.body.stderr);
    const pid1 = response.body.stdout.split('\n').find((line: string) => /^\s*1\s/.test(line));
    assert.ok(pid1, `no PID 1 in:\n${response.body.stdout}`);
    assert.match(pid1, new RegExp(`/busybox httpd -f -p ${TARGET_PORT}`));
  });

  it('the audit trail records the image that was asked for', async () => {
    const audit = await daemon.api('GET', `/v1/audit?sessionId=${sessionId}`);
    assert.equal(audit.status, 200);
    const creating = audit.body.items.find((e: any) => e.type === 'session.creating');
    assert.equal(creating.data.image, pushedImage);
  });

  it('DELETE ends the session; no managed container is left behind', async () => {
    const response = await daemon.api('DELETE', `/v1/sessions/${sessionId}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.state, 'ended');
    assert.deepEqual(await podman.managedContainers(), []);
  });
});

describe('a debug image the registry does not have', () => {
  it('is 502 with Podman\'s message; the attempt is recorded as failed', async () => {
    const missing = `${registry.address}/debug/missing:1`;
    const response = await daemon.api('POST', '/v1/sessions', { body: { target: 'app', image: missing } });
    assert.equal(response.status, 502, JSON.stringify(response.body));
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.equal(response.body.title, 'Image pull failed');
    assert.ok(response.body.detail.startsWith(`could not pull image "${missing}": `), response.body.detail);
    assert.match(response.body.detail, /manifest unknown|not found/i);
    // Podman reached the registry: this is not a TLS or connection failure.
    assert.doesNotMatch(response.body.detail, /http: server gave HTTP response to HTTPS client|connection refused/i);

    const sessions = (await daemon.api('GET', '/v1/sessions?state=all&target=app&limit=500')).body.items;
    const failed = sessions.filter((s: any) => s.sidecar.image === missing);
    assert.equal(failed.length, 1, JSON.stringify(sessions));
    assert.equal(failed[0].state, 'failed');
    const audit = (await daemon.api('GET', `/v1/audit?sessionId=${failed[0].id}`)).body.items.map((e: any) => e.type);
    assert.deepEqual(audit, ['session.creating', 'session.failed']);
    assert.equal(await imageExists(missing), false);
    assert.deepEqual(await podman.managedContainers(), []);
  });
});
