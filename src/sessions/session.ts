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
  expiresAt: string;
  endedAt: string | null;
  endReason: EndReason | null;
  attachCommand: string;
}

/** Labels that mark a sidecar as ours; reaping and listing rely on them. */
export const LABEL_MANAGED = 'io.podman-debugd.managed';
export const LABEL_SESSION = 'io.podman-debugd.session';
export const LABEL_TARGET = 'io.podman-debugd.target';

/** Extra time the sidecar's Podman timeout allows beyond the lease, so the daemon ends it first. */
export const SIDECAR_GRACE_SECONDS = 60;
