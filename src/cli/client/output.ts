import { formatTable } from './table.js';
import type { ApiProblemError } from './api-client.js';
import type { DaemonUnreachableError } from './transport.js';

export { formatTable };

/** A duration for people: 45s, 12m, 3h, 2d. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

export function ago(iso: string, now: number): string {
  return `${shortDuration(now - Date.parse(iso))} ago`;
}

export function until(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  return ms <= 0 ? 'now' : `in ${shortDuration(ms)}`;
}

/** A sentence ends with a full stop unless it already ends with punctuation. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?:)]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** A problem+json answer as sentences a person can act on. */
export function describeProblem(err: ApiProblemError, configPath: string): string {
  const p = err.problem;
  const title = typeof p.title === 'string' ? p.title : `HTTP ${err.status}`;
  const issues = Array.isArray(p.errors) ? (p.errors as Array<{ field?: unknown; message?: unknown }>) : [];
  // With field errors the detail only repeats them: list each field instead.
  const lines =
    issues.length > 0
      ? [`${title}:`, ...issues.map((issue) => `  - ${String(issue.field)}: ${String(issue.message)}`)]
      : [sentence(typeof p.detail === 'string' && p.detail ? `${title}: ${p.detail}` : title)];
  if (err.status === 401) {
    lines.push(`Check the token (--token, PODMAN_DEBUGD_TOKEN or token= in ${configPath}); create one on the daemon's host with: podman-debugd token create --name NAME`);
  } else if (err.status === 403 && typeof p.requiredScope === 'string' && p.requiredScope !== 'admin') {
    lines.push(`Ask for a token with that scope: podman-debugd token create --name NAME --scope ${p.requiredScope}`);
  }
  if (err.retryAfter !== undefined) lines.push(`Try again in ${err.retryAfter} s.`);
  if (err.status >= 500 && typeof p.requestId === 'string') lines.push(`(request id ${p.requestId}, for the daemon's log)`);
  return lines.join('\n');
}

/** The daemon did not answer: say where we looked and how to get it going. */
export function describeUnreachable(err: DaemonUnreachableError): string {
  const where = err.url.text;
  const lines = [`cannot reach the podman-debugd daemon at ${where} (${err.message}).`];
  if (err.code === 'EACCES' && err.url.kind === 'unix') {
    lines.push(`You may not open ${err.url.socketPath}: run as a member of the group that owns it (podman-debugd), or as root.`);
  } else if (err.code === 'TIMEOUT') {
    lines.push('The daemon accepted the connection but did not answer in time; check its log (journalctl -u podman-debugd).');
  } else {
    lines.push(
      'Is it running? Start it with `podman-debugd serve` (or `systemctl start podman-debugd.socket`), ' +
        'or point --url or PODMAN_DEBUGD_URL at it (http://HOST:PORT or unix:/path/to/socket).',
    );
  }
  return lines.join('\n');
}
