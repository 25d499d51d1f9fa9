import type { CliIO } from '../../usage.js';
import { UsageError, parseFlags } from '../../usage.js';
import { ApiProblemError } from '../api-client.js';
import { COMMON_FLAGS, parseSeconds, printJson, withClient } from '../client-command.js';
import { execHelp } from '../help.js';
import { resolveSession } from '../session-ref.js';

/** podman-debugd itself could not run the command (as `podman exec` uses 125). */
export const EXEC_FAILED = 125;
/** The command outlived its timeout and was killed (as timeout(1) uses 124). */
export const EXEC_TIMED_OUT = 124;

/**
 * `exec <session> -- argv...`: runs argv in the session's sidecar (no shell), prints its stdout and
 * stderr, and exits with its exit code.
 */
export async function execCommand(args: string[], io: CliIO): Promise<number> {
  const dash = args.indexOf('--');
  const own = dash === -1 ? args : args.slice(0, dash);
  const { values, positionals } = parseFlags(own, { ...COMMON_FLAGS, timeout: { type: 'string' } }, true);
  if (values.help) {
    io.stdout(execHelp);
    return 0;
  }
  const [ref, ...before] = positionals;
  const argv = [...before, ...(dash === -1 ? [] : args.slice(dash + 1))];
  if (ref === undefined || argv.length === 0) throw new UsageError('exec needs a session and a command: podman-debugd exec SESSION -- COMMAND [ARG...]');
  const timeoutSeconds = parseSeconds('--timeout', values.timeout) ?? 30;
  if (timeoutSeconds > 300) throw new UsageError('--timeout is at most 300 seconds (5m)');

  return withClient(io, values, EXEC_FAILED, async ({ client }) => {
    const id = await resolveSession(client, ref);
    try {
      const result = await client.exec(id, { command: argv, timeoutSeconds });
      if (values.json) {
        printJson(io, result);
      } else {
        io.stdout(result.stdout);
        io.stderr(result.stderr);
        if (result.stdoutTruncated) io.stderr('podman-debugd: stdout was cut at the daemon\'s output limit\n');
        if (result.stderrTruncated) io.stderr('podman-debugd: stderr was cut at the daemon\'s output limit\n');
      }
      return result.exitCode;
    } catch (err) {
      // 504 carries what the command printed before it was killed.
      if (err instanceof ApiProblemError && err.status === 504) {
        const p = err.problem as { stdout?: unknown; stderr?: unknown };
        if (values.json) printJson(io, { ...err.problem });
        else {
          if (typeof p.stdout === 'string') io.stdout(p.stdout);
          if (typeof p.stderr === 'string') io.stderr(p.stderr);
        }
        io.stderr(`podman-debugd: the command did not finish within ${timeoutSeconds} s and was killed (--timeout raises the limit, up to 5m)\n`);
        return EXEC_TIMED_OUT;
      }
      throw err;
    }
  });
}
