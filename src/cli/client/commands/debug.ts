import type { CliIO } from '../../usage.js';
import { UsageError, parseFlags } from '../../usage.js';
import { COMMON_FLAGS, parseSeconds, printJson, withClient } from '../client-command.js';
import { debugHelp } from '../help.js';
import { until } from '../output.js';
import { shortId } from '../session-ref.js';

/** `debug <target>`: creates a session and says how to use it. */
export async function debugCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { ...COMMON_FLAGS, image: { type: 'string' }, ttl: { type: 'string' }, 'max-lifetime': { type: 'string' }, profile: { type: 'string' }, reason: { type: 'string' } },
    true,
  );
  if (values.help) {
    io.stdout(debugHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('debug needs exactly one target container (a name or an id)');
  const body: Record<string, unknown> = { target: positionals[0] };
  if (values.image !== undefined) body.image = values.image;
  if (values.profile !== undefined) body.profile = values.profile;
  if (values.reason !== undefined) body.reason = values.reason;
  const ttl = parseSeconds('--ttl', values.ttl);
  if (ttl !== undefined) body.ttlSeconds = ttl;
  const lifetime = parseSeconds('--max-lifetime', values['max-lifetime']);
  if (lifetime !== undefined) body.maxLifetimeSeconds = lifetime;

  return withClient(io, values, 1, async ({ client, now }) => {
    // A missing image is pulled first, which can take minutes.
    const session = await client.createSession(body, 600_000);
    if (values.json) {
      printJson(io, session);
      return 0;
    }
    const id = shortId(session.id);
    io.stdout(
      `Session ${session.id} is ${session.state}: sidecar ${session.sidecar.name} (profile ${session.profile}) ` +
        `shares the PID and network namespaces of ${session.target.name}.\n` +
        `Its lease ends ${until(session.expiresAt, now)} (${session.expiresAt}); then the sidecar is removed.\n` +
        `  run a command:  podman-debugd exec ${id} -- ps\n` +
        `  end it:         podman-debugd end ${id}\n` +
        `  on this host:   ${session.attachCommand}\n`,
    );
    return 0;
  });
}
