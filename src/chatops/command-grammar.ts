import { PROFILES, type Profile } from '../sessions/profiles.js';

/**
 * The chat command grammar, the same on every platform (the text after `/debug`):
 *
 *   <target> [--image REF] [--ttl 15m] [--profile NAME] [reason ...]   start a session
 *   run <session|target> -- <argv ...>                                  run a command (no shell)
 *   end <session|target>                                                end a session
 *   list                                                                your active sessions
 *   help                                                                usage
 *
 * Pure: text in, a command (or help with a sentence saying what was wrong) out.
 */
export type ChatCommand =
  | { kind: 'help'; problem?: string }
  | { kind: 'list' }
  | { kind: 'create'; target: string; image?: string; ttlSeconds?: number; profile?: Profile; reason?: string }
  | { kind: 'run'; ref: string; argv: string[] }
  | { kind: 'end'; ref: string };

export interface Word {
  value: string;
  /** No quote or backslash in it: only bare words can be keywords, options or the `--` separator. */
  bare: boolean;
}

const CONTAINER_REF = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
const OPTIONS = ['image', 'ttl', 'profile'] as const;
type OptionName = (typeof OPTIONS)[number];

/**
 * Splits text into words the way a shell would split them, and does nothing else a shell does
 * (no variables, globs, pipes or redirections): white space separates words; '…' is literal;
 * "…" is literal except \" and \\; a backslash outside quotes takes the next character literally;
 * adjacent pieces join ('a'"b"c is abc).
 */
export function splitWords(text: string): { words: Word[] } | { problem: string } {
  const words: Word[] = [];
  let current: Word | null = null;
  const add = (s: string, quoted: boolean) => {
    current ??= { value: '', bare: true };
    current.value += s;
    if (quoted) current.bare = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      if (current) words.push(current);
      current = null;
    } else if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { problem: `The single quote before “${excerpt(text.slice(i + 1))}” is never closed.` };
      add(text.slice(i + 1, end), true);
      i = end;
    } else if (ch === '"') {
      let j = i + 1;
      let piece = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j++;
        piece += text[j];
      }
      if (j >= text.length) return { problem: `The double quote before “${excerpt(text.slice(i + 1))}” is never closed.` };
      add(piece, true);
      i = j;
    } else if (ch === '\\' && i + 1 < text.length) {
      add(text[i + 1]!, true);
      i++;
    } else {
      add(ch, false);
    }
  }
  if (current) words.push(current);
  return { words };
}

export function parseCommand(text: string): ChatCommand {
  const split = splitWords(text);
  if ('problem' in split) return help(split.problem);
  const words = split.words;
  if (words.length === 0) return { kind: 'help' };
  const [first, ...rest] = words;
  const keyword = first!.bare ? first!.value.toLowerCase() : null;

  switch (keyword) {
    case 'help':
    case '-h':
    case '--help':
      return { kind: 'help' };
    case 'list':
    case 'ls':
      return rest.length === 0 ? { kind: 'list' } : help('“list” takes nothing after it: /debug list shows your active sessions.');
    case 'end':
    case 'stop':
      return parseEnd(rest);
    case 'run':
    case 'exec':
      return parseRun(rest);
    default:
      return parseCreate(first!, rest);
  }
}

function parseEnd(rest: Word[]): ChatCommand {
  if (rest.length === 0) return help('Say which session to end, for example: /debug end app (a target) or /debug end 0b0ba3b6 (a session id).');
  if (rest.length > 1) return help('“end” takes one session id or target name, for example: /debug end app.');
  const ref = rest[0]!.value;
  if (!isRef(ref)) return help(`“${excerpt(ref)}” is not a session id or a container name.`);
  return { kind: 'end', ref };
}

function parseRun(rest: Word[]): ChatCommand {
  const example = 'for example: /debug run app -- ps aux';
  if (rest.length === 0 || isSeparator(rest[0]!)) return help(`Say where to run the command, ${example}.`);
  const ref = rest[0]!.value;
  if (!isRef(ref)) return help(`“${excerpt(ref)}” is not a session id or a container name.`);
  if (rest.length === 1 || !isSeparator(rest[1]!)) {
    return help(`Put -- between the session and the command, ${example}. Everything after -- is passed as it is, without a shell.`);
  }
  const argv = rest.slice(2).map((w) => w.value);
  if (argv.length === 0) return help(`Say what to run after --, ${example}.`);
  return { kind: 'run', ref, argv };
}

function parseCreate(first: Word, rest: Word[]): ChatCommand {
  const target = first.value;
  if (first.bare && target.startsWith('-')) {
    return help('Start with the container to debug, for example: /debug app --ttl 15m checkout returns 500s.');
  }
  if (!CONTAINER_REF.test(target)) return help(`“${excerpt(target)}” is not a container name or id.`);
  const command: Extract<ChatCommand, { kind: 'create' }> = { kind: 'create', target };
  const given = new Set<OptionName>();
  let i = 0;
  for (; i < rest.length; i++) {
    const word = rest[i]!;
    if (!word.bare || !word.value.startsWith('-')) break; // the reason starts here
    if (word.value === '--') return help(`To run a command, use /debug run ${target} -- <command>.`);
    const [flag, inline] = splitOption(word.value);
    const name = OPTIONS.find((o) => flag === `--${o}`);
    if (!name) return help(`I don't know the option ${excerpt(flag)}. The options are --image REF, --ttl 15m and --profile NAME.`);
    if (given.has(name)) return help(`--${name} is given twice.`);
    given.add(name);
    let value = inline;
    if (value === undefined) {
      const next = rest[i + 1];
      if (!next || (next.bare && next.value.startsWith('--'))) return help(`--${name} needs a value, ${optionExample(name)}.`);
      value = next.value;
      i++;
    }
    const problem = applyOption(command, name, value);
    if (problem) return help(problem);
  }
  const reasonWords = rest.slice(i);
  const misplaced = reasonWords.find((w) => w.bare && OPTIONS.some((o) => w.value === `--${o}` || w.value.startsWith(`--${o}=`)));
  if (misplaced) return help(`Put options before the reason: ${excerpt(misplaced.value)} came after the reason started.`);
  if (reasonWords.length > 0) command.reason = reasonWords.map((w) => w.value).join(' ');
  return command;
}

function applyOption(command: Extract<ChatCommand, { kind: 'create' }>, name: OptionName, value: string): string | null {
  switch (name) {
    case 'image':
      if (!value || /\s/.test(value)) return `“${excerpt(value)}” is not an image reference, such as docker.io/library/busybox:latest.`;
      command.image = value;
      return null;
    case 'ttl': {
      const seconds = parseTtl(value);
      if (seconds === null) return `“${excerpt(value)}” is not a duration; give --ttl like 15m, 1h or 1h30m.`;
      command.ttlSeconds = seconds;
      return null;
    }
    case 'profile': {
      const profile = PROFILES.find((p) => p === value.toLowerCase());
      if (!profile) return `There is no profile “${excerpt(value)}”; choose one of ${PROFILES.join(', ')}.`;
      command.profile = profile;
      return null;
    }
  }
}

/** "15m", "1h30m", "90s", "2h" -> seconds; null for anything else (a bare number too: say the unit). */
export function parseTtl(text: string): number | null {
  const match = /^(?:(\d{1,3})h)?(?:(\d{1,4})m)?(?:(\d{1,6})s)?$/.exec(text.trim().toLowerCase());
  if (!match || (!match[1] && !match[2] && !match[3])) return null;
  const seconds = Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  return seconds > 0 ? seconds : null;
}

function splitOption(text: string): [string, string | undefined] {
  const eq = text.indexOf('=');
  return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

function optionExample(name: OptionName): string {
  return { image: 'such as --image docker.io/library/busybox:latest', ttl: 'such as --ttl 15m', profile: `such as --profile general (${PROFILES.join(', ')})` }[name];
}

function isSeparator(word: Word): boolean {
  return word.bare && word.value === '--';
}

function isRef(text: string): boolean {
  return CONTAINER_REF.test(text);
}

function help(problem: string): ChatCommand {
  return { kind: 'help', problem };
}

/** A short, single-line piece of user input for an error sentence. */
function excerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}

/** The usage text, platform-neutral (the `/debug` command name is whatever the platform sent). */
export function usageLines(command = '/debug'): string[] {
  return [
    `${command} <target> [--image REF] [--ttl 15m] [--profile NAME] [reason …]: start a debug session on a container`,
    `${command} run <session|target> -- <command …>: run a command in it (no shell; quotes group words)`,
    `${command} end <session|target>: end a session and remove its sidecar`,
    `${command} list: your active sessions`,
    `${command} help: this help`,
    `Profiles: ${PROFILES.join(', ')}. Example: ${command} app --ttl 30m INC-42 checkout returns 500s`,
  ];
}
