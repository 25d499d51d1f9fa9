import type { Profile } from './profiles.js';

export type SessionState = 'creating' | 'active' | 'ended' | 'failed';
export type EndReason = 'ended-by-user' | 'sidecar-exited' | 'expired' | 'target-exited' | 'lost';

export interface ContainerRef {
  id: string;
  name: string;
  image: string;
}

export interface Session {
  id: string;
  state: SessionState;
  target: ContainerRef;
  sidecar: { id: string | null; name: string; image: string };
  requestedBy: string;
  reason: string | null;
  createdAt: string;
  /** The lease: the daemon ends the session at this time unless it is extended. */
  expiresAt: string;
  /** createdAt + maxLifetimeSeconds: the lease cannot pass it; Podman kills the sidecar soon after. */
  hardExpiresAt: string;
  maxLifetimeSeconds: number;
  profile: Profile;
  endedAt: string | null;
  endReason: EndReason | null;
  attachCommand: string;
}

/** Container states a sidecar can join and stay joined to: paused targets share their namespaces too. */
export const LIVE_STATES: ReadonlySet<string> = new Set(['running', 'paused']);

/** Labels that mark a sidecar as ours; reaping and listing rely on them. */
export const LABEL_MANAGED = 'io.podman-debugd.managed';
export const LABEL_SESSION = 'io.podman-debugd.session';
export const LABEL_TARGET = 'io.podman-debugd.target';

/** Extra time the sidecar's Podman timeout allows beyond the hard lifetime, so the daemon ends it first. */
export const SIDECAR_GRACE_SECONDS = 60;

/** Who did something, for the audit trail: a token's principal, or the daemon itself. */
export interface Actor {
  principal: string;
  requestId: string | null;
  /** Set when the action came from a chat command: the human behind the principal, on record. */
  chat?: ChatDetails;
}

/** The chat user and channel of a chat action, as the (verified) platform request names them. */
export interface ChatDetails {
  platform: string;
  teamId: string;
  userId: string;
  userName: string;
  channelId: string;
  channelName: string;
}

export const DAEMON_ACTOR: Actor = { principal: 'podman-debugd', requestId: null };
