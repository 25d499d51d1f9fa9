import type { CliIO } from '../usage.js';
import { containersCommand } from './commands/containers.js';
import { debugCommand } from './commands/debug.js';
import { endCommand } from './commands/end.js';
import { execCommand } from './commands/exec.js';
import { lsCommand } from './commands/ls.js';

/** Commands that talk to a running daemon over its API (the others work on the local database). */
export const CLIENT_COMMANDS = {
  debug: debugCommand,
  ls: lsCommand,
  exec: execCommand,
  end: endCommand,
  containers: containersCommand,
} as const satisfies Record<string, (args: string[], io: CliIO) => Promise<number>>;

export type ClientCommand = keyof typeof CLIENT_COMMANDS;

export function isClientCommand(command: string | undefined): command is ClientCommand {
  return command !== undefined && Object.hasOwn(CLIENT_COMMANDS, command);
}
