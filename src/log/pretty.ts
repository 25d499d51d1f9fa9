import type { DestinationStream } from 'pino';

/**
 * Log lines for a person at a terminal: `12:00:01.234 INFO  http: request method=GET status=200`,
 * an error's stack indented below. Only for a TTY; pipes and journald get pino's JSON lines. It
 * formats what pino wrote, so redaction has already happened.
 */
export function prettyDestination(out: { write(text: string): unknown }): DestinationStream {
  return { write: (line: string) => void out.write(formatPretty(line)) };
}

export function formatPretty(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const { time, level, msg, component, err, pid: _pid, name: _name, hostname: _hostname, ...fields } = entry;
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const where = typeof component === 'string' ? `${component}: ` : '';
  let text = `${clock} ${String(level ?? '').toUpperCase().padEnd(5)} ${where}${msg ?? ''}`;
  const rest = Object.entries(fields).map(([key, value]) => `${key}=${formatValue(value)}`);
  if (rest.length > 0) text += `  ${rest.join(' ')}`;
  if (err && typeof err === 'object') {
    const e = err as { type?: string; message?: string; stack?: string };
    text += `\n${(e.stack ?? `${e.type ?? 'Error'}: ${e.message ?? ''}`).replace(/^/gm, '    ')}`;
  }
  return `${text}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
