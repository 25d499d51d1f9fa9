import { UsageError } from '../usage.js';
import type { DaemonClient, SessionView } from './api-client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PREFIX = /^[0-9a-f][0-9a-f-]{3,35}$/i;

/** The id a table shows: enough to tell sessions apart, short enough to type. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** A full session id, a unique prefix of one (4+ characters, as `ls` shows 8), or a sidecar's name. */
export async function resolveSession(client: DaemonClient, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref.toLowerCase();
  const bySidecar = ref.startsWith('debug-');
  if (!bySidecar && !PREFIX.test(ref)) {
    throw new UsageError(`"${ref}" is not a session id: use the ID that 'podman-debugd ls' shows (at least 4 characters) or the sidecar's name`);
  }
  const matches = (s: SessionView) => (bySidecar ? s.sidecar.name === ref : s.id.startsWith(ref.toLowerCase()));
  // Active sessions first: a prefix unique among them is what one means, even if old ones share it.
  for (const state of ['active', 'all'] as const) {
    const found: SessionView[] = [];
    for await (const session of client.sessions(state)) if (matches(session)) found.push(session);
    if (found.length === 1) return found[0]!.id;
    if (found.length > 1) {
      throw new SessionRefError(`"${ref}" matches ${found.length} ${state === 'active' ? 'active ' : ''}sessions (${found.map((s) => shortId(s.id)).join(', ')}); give more of the id`);
    }
  }
  throw new SessionRefError(`no session of yours matches "${ref}" ('podman-debugd ls --all' lists them)`);
}

/** A reference that names no session, or more than one: a failure (exit 1), not a usage error. */
export class SessionRefError extends Error {
  override name = 'SessionRefError';
}
