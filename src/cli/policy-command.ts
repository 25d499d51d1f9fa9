import { loadPolicyFile } from '../policy/load-policy.js';
import { configFrom, subcommandHelp, table } from './commands.js';
import { policyHelp } from './help.js';
import { type CliIO, UsageError, parseFlags } from './usage.js';

/** `policy check FILE`: the same validation `serve --policy FILE` runs, without starting anything. */
export function policyCommand(args: string[], io: CliIO): number {
  const [sub, ...rest] = args;
  const helped = subcommandHelp(sub, policyHelp, io);
  if (helped !== undefined) return helped;
  if (sub !== 'check') throw new UsageError(`unknown policy command "${sub}"`);
  const { values, positionals } = parseFlags(rest, { 'default-image': { type: 'string' } }, true);
  if (values.help) {
    io.stdout(policyHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('policy check needs exactly one FILE');
  const config = configFrom(io, { defaultImage: values['default-image'] });
  const loaded = loadPolicyFile(positionals[0]!, config.defaultImage);
  if (!loaded.policy) {
    io.stderr(`${positionals[0]}: ${loaded.problems.length} problem(s):\n${loaded.problems.map((p) => `  - ${p}\n`).join('')}`);
    return 1;
  }
  const { policy } = loaded;
  io.stdout(
    `${policy.source}: valid; ${policy.rules.length} rule(s), at most ${policy.maxConcurrentSessions} live sessions in total\n` +
      table(
        ['RULE', 'IMAGES', 'PROFILES', 'MAX TTL', 'MAX LIFETIME', 'MAX SESSIONS', 'REASON'],
        policy.rules.map((r) => [
          r.name,
          r.images.join(','),
          r.profiles.join(','),
          r.maxTtlSeconds === null ? '-' : `${r.maxTtlSeconds}s`,
          r.maxLifetimeSeconds === null ? '-' : `${r.maxLifetimeSeconds}s`,
          r.maxConcurrentSessions === null ? '-' : String(r.maxConcurrentSessions),
          r.requireReason ? 'required' : 'optional',
        ]),
      ),
  );
  return 0;
}
