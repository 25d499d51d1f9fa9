/** Control characters (terminal escapes among them) in data from the daemon are shown as "?". */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?');
}

/** Left-aligned columns two spaces apart, as `podman ps` prints them; cells made printable. */
export function formatTable(header: string[], rows: string[][]): string {
  const clean = rows.map((row) => row.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...clean.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(header), ...clean.map(line)].join('\n')}\n`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
