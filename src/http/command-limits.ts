import { AppError, type FieldIssue } from '../errors.js';

/**
 * The configured caps on what a caller may hand to a command. The request schemas hold only the
 * hard ceilings (they are static, and so is the OpenAPI document); these are checked right after
 * validation, before anything else happens, and refused the same way: 400 naming the field.
 */
export interface CommandLimits {
  maxCommandArgs: number;
  maxCommandBytes: number;
  maxStdinBytes: number;
}

export function checkCommandLimits(limits: CommandLimits, input: { command?: string[] | undefined; stdin?: string | undefined }): void {
  const issues: FieldIssue[] = [];
  const { command, stdin } = input;
  if (command !== undefined) {
    if (command.length > limits.maxCommandArgs) {
      issues.push({ field: 'command', message: `must have at most ${limits.maxCommandArgs} arguments` });
    }
    const bytes = command.reduce((sum, arg) => sum + Buffer.byteLength(arg, 'utf8'), 0);
    if (bytes > limits.maxCommandBytes) {
      issues.push({ field: 'command', message: `arguments must total at most ${limits.maxCommandBytes} bytes (UTF-8), not ${bytes}` });
    }
  }
  if (stdin !== undefined) {
    const bytes = Buffer.byteLength(stdin, 'utf8');
    if (bytes > limits.maxStdinBytes) issues.push({ field: 'stdin', message: `must be at most ${limits.maxStdinBytes} bytes (UTF-8), not ${bytes}` });
  }
  if (issues.length > 0) {
    throw new AppError('bad_request', `invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
  }
}
