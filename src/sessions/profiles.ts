/**
 * Debug profiles, modelled on `kubectl debug --profile`. Callers choose a profile by name, never
 * raw Podman options.
 */
export const PROFILES = ['restricted', 'baseline', 'general', 'netadmin', 'sysadmin'] as const;
export type Profile = (typeof PROFILES)[number];
export const DEFAULT_PROFILE: Profile = 'general';

/** The SpecGenerator fields a profile sets. */
export interface ProfileSpec {
  cap_add?: string[];
  cap_drop?: string[];
  privileged?: boolean;
  no_new_privileges?: boolean;
  user?: string;
}

export const PROFILE_SPECS: Record<Profile, ProfileSpec> = {
  // No capabilities, no privilege gain, not root: look, but touch nothing.
  restricted: { cap_drop: ['ALL'], no_new_privileges: true, user: '65534:65534' },
  // The runtime's defaults.
  baseline: {},
  // Defaults plus ptrace: strace, gdb, /proc/<pid>/root and /proc/<pid>/environ of the target.
  general: { cap_add: ['CAP_SYS_PTRACE'] },
  // Defaults plus network administration: tcpdump, ip, iptables in the target's network namespace.
  netadmin: { cap_add: ['CAP_NET_ADMIN', 'CAP_NET_RAW'] },
  // Everything: a privileged container.
  sysadmin: { privileged: true },
};

export const PROFILE_DESCRIPTIONS: Record<Profile, string> = {
  restricted: 'all capabilities dropped, no_new_privileges, user 65534',
  baseline: "the container runtime's default capabilities (Podman's default_capabilities)",
  general: 'runtime defaults + SYS_PTRACE (the default)',
  netadmin: 'runtime defaults + NET_ADMIN and NET_RAW',
  sysadmin: 'privileged',
};
