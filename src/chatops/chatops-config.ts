import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { inspect } from 'node:util';
import { parseYaml } from '../config/parse-yaml.js';
import { z } from 'zod';
import { DEFAULT_SCOPES, SCOPES, type Scope } from '../auth/scopes.js';
import { type AllowedOrigin, parseAllowedOrigin } from './response-poster.js';

export const CHAT_PLATFORMS = ['slack', 'mattermost'] as const;
export type ChatPlatform = (typeof CHAT_PLATFORMS)[number];

/** Ids as Slack (T0123ABCD, U0456EFGH) and Mattermost (26 lower-case characters) write them. */
export const CHAT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Principals of chat users: token-name characters plus ':' (slack:T0123:U0456). */
export const CHAT_PRINCIPAL = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/;

const DEFAULT_SLACK_HOSTS = ['hooks.slack.com'];
const DEFAULT_ACCESS_HELP = 'ask the operators of podman-debugd to map your chat user to a principal in its chatops file';
const DEFAULT_MAX_LIFETIME_SECONDS = 3600;
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_SECRET_BYTES = 4096;
const MIN_SECRET_CHARS = 16;

/**
 * A secret read from a file. It never shows up in JSON, util.inspect (pino, console) or string
 * conversion; only reveal() gives the value, to the code that compares it.
 */
export class Secret {
  readonly #value: string;
  constructor(
    value: string,
    readonly source: string,
  ) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return `[secret from ${this.source}]`;
  }

  toString(): string {
    return this.toJSON();
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}

export interface IdentityRule {
  readonly platform: ChatPlatform;
  readonly teamId: string;
  /** A user id, or '*': every user of the team, each as their own principal. */
  readonly userId: string;
  /** null: the default, `<platform>:<teamId>:<userId>`. */
  readonly principal: string | null;
  readonly scopes: readonly Scope[];
}

export interface PlatformSettings {
  readonly responseUrlHosts: readonly AllowedOrigin[];
  /** Post an in-channel notice when a session starts or ends from chat. */
  readonly channelNotices: boolean;
}

export interface SlackSettings extends PlatformSettings {
  /** Signing secrets; more than one while one is being rotated. */
  readonly signingSecrets: readonly Secret[];
}

export interface MattermostSettings extends PlatformSettings {
  /** Slash command tokens (one per command, or several during a rotation). */
  readonly commandTokens: readonly Secret[];
}

export interface ChatopsSettings {
  readonly source: string;
  readonly sha256: string;
  /** Finishes "To get access, …" in the message an unmapped user gets. */
  readonly accessHelp: string;
  /** Hard lifetime asked for sessions started from chat: how far Extend can push the lease. */
  readonly maxLifetimeSeconds: number;
  readonly slack: SlackSettings | null;
  readonly mattermost: MattermostSettings | null;
  readonly identities: readonly IdentityRule[];
}

export class ChatopsConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid chatops file:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ChatopsConfigError';
  }
}

const secretRef = z.strictObject({
  /** A file holding the secret (one line; a trailing newline is dropped). Relative to the chatops file. */
  file: z.string().min(1).max(4096),
});

const origin = z.string().superRefine((entry, ctx) => {
  const parsed = parseAllowedOrigin(entry);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

const duration = z.string().regex(/^[0-9]{1,6}[smh]$/, 'must be a duration such as 45m or 2h');

const platformFields = {
  responseUrlHosts: z.array(origin).min(1).max(50).optional(),
  channelNotices: z.boolean().optional(),
};

const FileSchema = z.strictObject({
  version: z.literal(1),
  accessHelp: z.string().trim().min(1).max(500).optional(),
  maxLifetime: duration.optional(),
  slack: z.strictObject({ signingSecrets: z.array(secretRef).min(1).max(4), ...platformFields }).optional(),
  mattermost: z
    .strictObject({
      commandTokens: z.array(secretRef).min(1).max(20),
      // Required: a Mattermost response_url points at the Mattermost server itself.
      responseUrlHosts: z.array(origin).min(1).max(50),
      channelNotices: z.boolean().optional(),
    })
    .optional(),
  identities: z
    .array(
      z.strictObject({
        platform: z.enum(CHAT_PLATFORMS),
        teamId: z.string().regex(CHAT_ID, 'must be a team id such as T0123ABCD'),
        userId: z.union([z.literal('*'), z.string().regex(CHAT_ID, 'must be a user id such as U0456EFGH, or "*"')]),
        principal: z.string().regex(CHAT_PRINCIPAL, 'use letters, digits and . _ @ : - (at most 128)').optional(),
        scopes: z.array(z.enum(SCOPES)).min(1).optional(),
        /** Free text for the operators (who this is); ignored by the daemon. */
        note: z.string().max(500).optional(),
      }),
    )
    .max(10_000),
});

/**
 * Reads and validates the chatops file (YAML for .yaml/.yml, JSON for .json): every problem is
 * listed at once and nothing is half-applied. Secrets are read from the files it names; the
 * chatops file itself holds none.
 */
export function loadChatopsFile(path: string): ChatopsSettings {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES) throw new ChatopsConfigError([`${path}: larger than ${MAX_FILE_BYTES} bytes`]);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof ChatopsConfigError) throw err;
    throw new ChatopsConfigError([`${path}: cannot read: ${(err as Error).message}`]);
  }
  const ext = extname(path).toLowerCase();
  const format = ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : null;
  if (!format) throw new ChatopsConfigError([`${path}: name the file *.yaml, *.yml or *.json`]);
  return parseChatops(text, { source: path, format, readSecret: readSecretFile });
}

export interface ParseOptions {
  source: string;
  format: 'yaml' | 'json';
  /** Reads a secret file (absolute path): its value, or a problem. */
  readSecret: (path: string) => string | { problem: string };
}

export function parseChatops(text: string, options: ParseOptions): ChatopsSettings {
  let raw: unknown;
  try {
    raw = options.format === 'json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    throw new ChatopsConfigError([`${options.source}: not valid ${options.format.toUpperCase()}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const parsed = FileSchema.safeParse(raw);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  // The checks below read the raw document, so they run (and report) even when the schema failed.
  const doc = isRecord(raw) ? raw : {};
  if (!doc.slack && !doc.mattermost) problems.push('(chatops): configure at least one of "slack" and "mattermost"');

  const seen = new Map<string, number>();
  (Array.isArray(doc.identities) ? doc.identities : []).forEach((identity: unknown, i) => {
    if (!isRecord(identity)) return;
    const platform = identity.platform;
    if (typeof platform === 'string' && (CHAT_PLATFORMS as readonly string[]).includes(platform) && !doc[platform]) {
      problems.push(`identities[${i}]: platform ${platform}, but the file has no "${platform}" section`);
    }
    if (identity.userId === '*' && identity.principal !== undefined) {
      problems.push(`identities[${i}]: a userId of "*" maps each user to their own principal (${String(platform)}:<team>:<user>); remove "principal"`);
    }
    const key = `${String(platform)} ${String(identity.teamId)} ${String(identity.userId)}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push(`identities[${i}]: the same platform, teamId and userId as identities[${first}]`);
    else seen.set(key, i);
  });

  const base = dirname(resolve(options.source));
  const secrets = (section: string, key: string): Secret[] => {
    const part = doc[section];
    const refs: unknown[] = isRecord(part) && Array.isArray(part[key]) ? part[key] : [];
    return refs.flatMap((ref, i) => {
      if (!isRecord(ref) || typeof ref.file !== 'string' || ref.file === '') return []; // the schema said why
      const path = isAbsolute(ref.file) ? ref.file : resolve(base, ref.file);
      const value = options.readSecret(path);
      if (typeof value !== 'string') {
        problems.push(`${section}.${key}[${i}].file: ${value.problem}`);
        return [];
      }
      return [new Secret(value, path)];
    });
  };
  const signingSecrets = secrets('slack', 'signingSecrets');
  const commandTokens = secrets('mattermost', 'commandTokens');
  if (!parsed.success || problems.length > 0) throw new ChatopsConfigError(problems);
  const file = parsed.data;
  const origins = (entries: string[]): AllowedOrigin[] => entries.map((e) => parseAllowedOrigin(e) as AllowedOrigin);

  const slack = file.slack
    ? {
        signingSecrets,
        responseUrlHosts: origins(file.slack.responseUrlHosts ?? DEFAULT_SLACK_HOSTS),
        channelNotices: file.slack.channelNotices ?? false,
      }
    : null;
  const mattermost = file.mattermost
    ? {
        commandTokens,
        responseUrlHosts: origins(file.mattermost.responseUrlHosts),
        channelNotices: file.mattermost.channelNotices ?? false,
      }
    : null;

  return deepFreeze({
    source: options.source,
    sha256: createHash('sha256').update(text).digest('hex'),
    accessHelp: file.accessHelp ?? DEFAULT_ACCESS_HELP,
    maxLifetimeSeconds: file.maxLifetime ? durationSeconds(file.maxLifetime) : DEFAULT_MAX_LIFETIME_SECONDS,
    slack,
    mattermost,
    identities: file.identities.map((identity) => ({
      platform: identity.platform,
      teamId: identity.teamId,
      userId: identity.userId,
      principal: identity.principal ?? null,
      scopes: [...new Set(identity.scopes ?? DEFAULT_SCOPES)],
    })),
  });
}

function readSecretFile(path: string): string | { problem: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    return { problem: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  if (bytes.length > MAX_SECRET_BYTES) return { problem: `${path} is larger than ${MAX_SECRET_BYTES} bytes; it should hold just the secret` };
  const value = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (/[\r\n]/.test(value)) return { problem: `${path} holds more than one line; it should hold just the secret` };
  if (value.trim() !== value) return { problem: `${path}: the secret starts or ends with white space` };
  if (value.length < MIN_SECRET_CHARS) return { problem: `${path}: the secret is shorter than ${MIN_SECRET_CHARS} characters` };
  return value;
}

function durationSeconds(text: string): number {
  const n = Number(text.slice(0, -1));
  return n * { s: 1, m: 60, h: 3600 }[text.at(-1) as 's' | 'm' | 'h'];
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(chatops)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Secret) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
