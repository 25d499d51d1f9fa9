import { randomInt } from 'node:crypto';
import type { ContainerInspect, SidecarSpec } from '../podman/types.js';
import { type Profile, PROFILE_SPECS } from './profiles.js';
import { LABEL_MANAGED, LABEL_SESSION, LABEL_TARGET, SIDECAR_GRACE_SECONDS } from './session.js';

const NAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomSuffix(length = 6): string {
  let out = '';
  for (let i = 0; i < length; i++) out += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return out;
}

/** `debug-<target name>-<6 random chars>`: readable in `podman ps`, unique enough to retry once. */
export function sidecarName(targetName: string, suffix = randomSuffix()): string {
  return `debug-${targetName}-${suffix}`;
}

export interface SidecarSpecInput {
  sessionId: string;
  name: string;
  image: string;
  target: ContainerInspect;
  /** The session's hard lifetime; Podman kills the sidecar a grace period after it. */
  lifetimeSeconds: number;
  command: string[] | null;
  profile: Profile;
}

/**
 * The libpod SpecGenerator for a debug sidecar: it joins the target's PID and network namespaces
 * (and its pod, which Podman requires for such dependencies), removes itself when it exits, and is
 * killed by conmon after its hard lifetime + grace even if this daemon is gone. The entrypoint is set explicitly
 * so an image's own ENTRYPOINT cannot change what runs.
 */
export function buildSidecarSpec(input: SidecarSpecInput): SidecarSpec {
  const lifetime = input.lifetimeSeconds + SIDECAR_GRACE_SECONDS;
  const argv = input.command ?? ['sleep', String(lifetime)];
  const spec: SidecarSpec = {
    name: input.name,
    image: input.image,
    pidns: { nsmode: 'container', value: input.target.Id },
    netns: { nsmode: 'container', value: input.target.Id },
    labels: {
      [LABEL_MANAGED]: 'true',
      [LABEL_SESSION]: input.sessionId,
      [LABEL_TARGET]: input.target.Id,
    },
    remove: true,
    timeout: lifetime,
    stop_timeout: 0,
    ...PROFILE_SPECS[input.profile],
    entrypoint: [argv[0]!],
    command: argv.slice(1),
  };
  if (input.target.Pod) spec.pod = input.target.Pod;
  return spec;
}
