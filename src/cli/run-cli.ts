import { ChatopsConfigError } from '../chatops/chatops-config.js';
import { SchemaTooNewError } from '../db/migrations.js';
import { PolicyError } from '../policy/policy-holder.js';
import { auditCommand, migrateCommand, serveCommand, tokenCommand } from './commands.js';
import { policyCommand } from './policy-command.js';
import { CLIENT_COMMANDS, isClientCommand } from './client/run-client-command.js';
import { mainHelp } from './help.js';
import { type CliIO, UsageError } from './usage.js';

/** Runs one CLI invocation and returns its exit code: 0 ok, 1 failure, 2 usage or config error. */
export async function runCli(io: CliIO): Promise<number> {
  const [command, ...args] = io.argv;
  try {
    switch (command) {
      case undefined:
        io.stderr(mainHelp);
        return 2;
      case 'help':
      case '--help':
      case '-h':
        io.stdout(mainHelp);
        return 0;
      case 'serve':
        return await serveCommand(args, io);
      case 'migrate':
        return migrateCommand(args, io);
      case 'token':
        return tokenCommand(args, io);
      case 'audit':
        return auditCommand(args, io);
      case 'policy':
        return policyCommand(args, io);
      default:
        if (isClientCommand(command)) return await CLIENT_COMMANDS[command](args, io);
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const known = ['serve', 'migrate', 'token', 'audit', 'policy'].includes(command ?? '') || isClientCommand(command);
      io.stderr(`podman-debugd: ${err.message}\nRun 'podman-debugd ${known ? `${command} ` : ''}--help' for usage.\n`);
      return 2;
    }
    if (err instanceof PolicyError || err instanceof ChatopsConfigError) {
      io.stderr(`podman-debugd: ${err.message}\n`);
      return 2;
    }
    if (err instanceof SchemaTooNewError) {
      io.stderr(`podman-debugd: ${err.message}\n`);
      return 1;
    }
    io.stderr(`podman-debugd: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
