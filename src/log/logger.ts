import { pino, type Logger, type DestinationStream } from 'pino';
import { prettyDestination } from './pretty.js';
import { REDACTED, redactTokens } from './redact.js';

export type { Logger };

/** Paths pino blanks out wherever they appear in a log object. */
export const redactPaths = [
  'authorization',
  'token',
  '*.authorization',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'stdin',
  '*.stdin',
  // Chat platforms: a response_url is a capability to post into a channel; signatures are secrets' work.
  'responseUrl',
  '*.responseUrl',
  'response_url',
  '*.response_url',
  'headers["x-slack-signature"]',
  '*.headers["x-slack-signature"]',
];

/** JSON lines on stdout (pipes, files, journald), or readable lines when stdout is a terminal. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const out = destination ?? (process.stdout.isTTY ? prettyDestination(process.stdout) : undefined);
  return pino(
    {
      name: 'podman-debugd',
      level,
      redact: { paths: redactPaths, censor: REDACTED },
      // Last line of defence: whatever a message or an error carries, nothing shaped like an API
      // token reaches the log (the serialized line is scrubbed just before it is written).
      hooks: { streamWrite: redactTokens },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    out,
  );
}
