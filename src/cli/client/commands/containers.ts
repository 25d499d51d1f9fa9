import type { CliIO } from '../../usage.js';
import { UsageError, parseFlags } from '../../usage.js';
import { COMMON_FLAGS, printJson, withClient } from '../client-command.js';
import { containersHelp } from '../help.js';
import { formatTable } from '../output.js';

/** `containers`: what one could debug on the daemon's host (sidecars and pod infra left out). */
export async function containersCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(args, COMMON_FLAGS, true);
  if (values.help) {
    io.stdout(containersHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError('containers takes no arguments');
  return withClient(io, values, 1, async ({ client }) => {
    const containers = await client.listContainers();
    if (values.json) {
      printJson(io, containers);
      return 0;
    }
    if (containers.length === 0) {
      io.stdout('no containers\n');
      return 0;
    }
    io.stdout(
      formatTable(
        ['NAME', 'STATE', 'IMAGE', 'POD', 'SESSIONS', 'ID'],
        containers.map((c) => [c.name, c.state, c.image, c.pod ?? '-', String(c.activeSessions), c.id.slice(0, 12)]),
      ),
    );
    return 0;
  });
}
