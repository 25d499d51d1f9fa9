import { packageVersion } from '../../package-root.js';
import { type CliIO, UsageError } from '../usage.js';
import { ApiProblemError, DaemonClient, NoTokenError } from './api-client.js';
import { type ClientSettings, resolveClientSettings } from './client-config.js';
import { describeProblem, describeUnreachable } from './output.js';
import { SessionRefError } from './session-ref.js';
import { DaemonUnreachableError } from './transport.js';

/** Flags every client command takes. */
export const COMMON_FLAGS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface ClientRun {
  client: DaemonClient;
  settings: ClientSettings;
  io: CliIO;
  /** Wall-clock time of the invocation, for ages and leases. */
  now: number;
}

/**
 * Connects a client command to the daemon and turns what can go wrong into a message and an exit
 * code: no token 2 (a configuration error); an unreachable daemon, a problem+json answer or an
 * unknown session `failureCode` (1; `exec` uses 125 so a command's own codes stay distinct).
 * Usage errors propagate to runCli (exit 2).
 */
export async function withClient(
  io: CliIO,
  flags: { url?: string | undefined; token?: string | undefined },
  failureCode: number,
  fn: (run: ClientRun) => Promise<number>,
): Promise<number> {
  const settings = resolveClientSettings(flags, io.env);
  const client = new DaemonClient(settings, `podman-debugd-cli/${packageVersion()}`);
  try {
    return await fn({ client, settings, io, now: Date.now() });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (err instanceof NoTokenError) {
      io.stderr(`podman-debugd: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ApiProblemError) {
      io.stderr(`podman-debugd: ${describeProblem(err, settings.configPath)}\n`);
      return failureCode;
    }
    if (err instanceof DaemonUnreachableError) {
      io.stderr(`podman-debugd: ${describeUnreachable(err)}\n`);
      return failureCode;
    }
    if (err instanceof SessionRefError) {
      io.stderr(`podman-debugd: ${err.message}\n`);
      return failureCode;
    }
    throw err;
  }
}

/** `--ttl 15m`, `90s`, `2h` or plain seconds. */
export function parseSeconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,7})([smhd]?)$/.exec(value.trim());
  if (!match) throw new UsageError(`${flag} "${value}" must be a duration such as 90s, 15m or 2h (or whole seconds)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  if (seconds <= 0) throw new UsageError(`${flag} must be longer than 0 seconds`);
  return seconds;
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
