export type ListenAddress =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; path: string };

/** Parses `HOST:PORT`, `[v6]:PORT` or `unix:/path`. Returns an error string when it cannot. */
export function parseListenAddress(value: string): ListenAddress | string {
  if (value.startsWith('unix:')) {
    const path = value.slice('unix:'.length);
    if (!path.startsWith('/')) return `"${value}" must be unix:/absolute/path`;
    return { kind: 'unix', path };
  }
  const match = /^(?:\[([0-9a-fA-F.]*:[0-9a-fA-F:.]*)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value);
  if (!match) return `"${value}" must be HOST:PORT or unix:/absolute/path`;
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (port > 65535) return `port ${port} is out of range (0-65535)`;
  return { kind: 'tcp', host, port };
}

export function formatListenAddress(address: ListenAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
