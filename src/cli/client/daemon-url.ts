import { UsageError } from '../usage.js';

/** Where the daemon listens, as the client reaches it. */
export type DaemonUrl =
  | { kind: 'tcp'; protocol: 'http:' | 'https:'; host: string; port: number; basePath: string; text: string }
  | { kind: 'unix'; socketPath: string; text: string };

/** The daemon's default listen address (serve --listen). */
export const DEFAULT_DAEMON_URL = 'http://127.0.0.1:7070';

/**
 * Parses `http://HOST:PORT[/prefix]`, `https://...`, `unix:/absolute/path` (or `unix:///path`), and
 * the bare `HOST:PORT` the daemon logs as its listen address. `origin` names where the value came
 * from, for the error.
 */
export function parseDaemonUrl(value: string, origin: string): DaemonUrl {
  const bad = (why: string) =>
    new UsageError(`${origin} "${value}" ${why}; use http://HOST:PORT, https://HOST[:PORT] or unix:/absolute/path`);
  if (value.startsWith('unix:')) {
    const socketPath = value.replace(/^unix:(\/\/(?=\/))?/, '');
    if (!socketPath.startsWith('/')) throw bad('needs an absolute socket path');
    return { kind: 'unix', socketPath, text: `unix:${socketPath}` };
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw bad('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`has the scheme ${url.protocol}`);
  if (url.username || url.password) throw bad('must not hold credentials (pass the token with --token)');
  if (url.search || url.hash) throw bad('must not have a query or fragment');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const basePath = url.pathname.replace(/\/+$/, '');
  return { kind: 'tcp', protocol: url.protocol, host, port, basePath, text: `${url.protocol}//${url.host}${basePath}` };
}
