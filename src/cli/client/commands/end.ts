import type { CliIO } from '../../usage.js';
import { UsageError, parseFlags } from '../../usage.js';
import { COMMON_FLAGS, printJson, withClient } from '../client-command.js';
import { endHelp } from '../help.js';
import { resolveSession } from '../session-ref.js';

/** `end <session>`: ends it and removes its sidecar. Ending an ended session is not an error. */
export async function endCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(args, COMMON_FLAGS, true);
  if (values.help) {
    io.stdout(endHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('end needs exactly one session (its ID from ls, or the sidecar\'s name)');
  return withClient(io, values, 1, async ({ client }) => {
    const session = await client.endSession(await resolveSession(client, positionals[0]!));
    if (values.json) printJson(io, session);
    else io.stdout(`Session ${session.id} ${session.state === 'ended' ? `ended (${session.endReason}); sidecar ${session.sidecar.name} removed` : `is ${session.state}`}.\n`);
    return 0;
  });
}
