import { z } from 'zod';
import { CHAT_ID } from './chatops-config.js';
import type { ChatUser } from './identity-map.js';

/**
 * The request bodies chat platforms send, as zod schemas: parsed here after the signature or token
 * is checked, and turned into JSON Schema for the OpenAPI document (so both say the same thing).
 * Unknown fields are allowed (platforms add fields over time); the fields used are checked.
 */
const id = z.string().regex(CHAT_ID);
const name = z.string().max(256);
const url = z.string().max(2048);

/** POST from a Slack slash command (application/x-www-form-urlencoded). */
export const SlackCommandFormSchema = z.looseObject({
  team_id: id.describe('Workspace id, such as T0123ABCD'),
  team_domain: name.optional(),
  enterprise_id: z.string().max(64).optional(),
  channel_id: z.string().max(64).default(''),
  channel_name: name.default(''),
  user_id: id.describe('User id, such as U0456EFGH'),
  user_name: name.default(''),
  command: z.string().min(1).max(64).describe('The slash command, such as /debug'),
  text: z.string().max(4000).default('').describe('Everything after the command'),
  api_app_id: z.string().max(64).optional(),
  response_url: url.optional().describe('Where to post the outcome (up to 5 times in 30 minutes)'),
  trigger_id: z.string().max(256).optional(),
  ssl_check: z.string().max(8).optional(),
});

/** A Slack interactivity request: form field `payload` holding this JSON (block_actions). */
export const SlackBlockActionsSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id, username: name.optional(), name: name.optional(), team_id: id.optional() }),
  team: z.looseObject({ id, domain: name.optional() }).nullable().optional(),
  channel: z.looseObject({ id: z.string().max(64), name: name.optional() }).nullable().optional(),
  response_url: url.optional(),
  actions: z
    .array(z.looseObject({ action_id: z.string().max(255), value: z.string().max(2000).optional(), type: z.string().max(64).optional() }))
    .min(1)
    .max(25),
});

/** POST from a Mattermost custom slash command (application/x-www-form-urlencoded). */
export const MattermostCommandFormSchema = z.looseObject({
  channel_id: z.string().max(64).default(''),
  channel_name: name.default(''),
  command: z.string().min(1).max(64).describe('The slash command, such as /debug'),
  response_url: url.optional().describe('Where to post the outcome (on the Mattermost server)'),
  team_domain: name.optional(),
  team_id: id.describe('Team id (26 characters)'),
  text: z.string().max(4000).default(''),
  token: z.string().max(512).optional().describe('The command token (also sent as Authorization: Token …)'),
  trigger_id: z.string().max(2048).optional(),
  user_id: id.describe('User id (26 characters)'),
  user_name: name.default(''),
});

export interface ChatCommandRequest {
  user: ChatUser;
  /** The slash command as typed (/debug), for help texts. */
  command: string;
  text: string;
  responseUrl: string | null;
}

export interface ChatActionRequest {
  user: ChatUser;
  action: string;
  value: string;
  responseUrl: string | null;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

function problemOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

export function parseForm(raw: Buffer): URLSearchParams {
  return new URLSearchParams(raw.toString('utf8'));
}

function fields(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form) if (!(k in out)) out[k] = v;
  return out;
}

export function parseSlackCommand(form: URLSearchParams): Parsed<ChatCommandRequest & { sslCheck: boolean }> {
  if (form.get('ssl_check') === '1') {
    // Slack checking the certificate of the command URL: no user, nothing to do but answer 200.
    const nobody = { platform: 'slack' as const, teamId: '', userId: '', userName: '', channelId: '', channelName: '' };
    return { ok: true, value: { user: nobody, command: '', text: '', responseUrl: null, sslCheck: true } };
  }
  const parsed = SlackCommandFormSchema.safeParse(fields(form));
  if (!parsed.success) return { ok: false, problem: problemOf(parsed.error) };
  return { ok: true, value: { ...commandRequest('slack', parsed.data), sslCheck: parsed.data.ssl_check === '1' } };
}

export function parseSlackAction(form: URLSearchParams): Parsed<ChatActionRequest> {
  const payload = form.get('payload');
  if (payload === null) return { ok: false, problem: 'payload: the form field "payload" is missing' };
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { ok: false, problem: 'payload: not JSON' };
  }
  const parsed = SlackBlockActionsSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problem: problemOf(parsed.error) };
  const p = parsed.data;
  const teamId = p.user.team_id ?? p.team?.id;
  if (!teamId) return { ok: false, problem: 'team: missing' };
  const action = p.actions[0]!;
  return {
    ok: true,
    value: {
      user: {
        platform: 'slack',
        teamId,
        userId: p.user.id,
        userName: p.user.username ?? p.user.name ?? '',
        channelId: p.channel?.id ?? '',
        channelName: p.channel?.name ?? '',
      },
      action: action.action_id,
      value: action.value ?? '',
      responseUrl: p.response_url || null,
    },
  };
}

export function parseMattermostCommand(form: URLSearchParams): Parsed<ChatCommandRequest> {
  const parsed = MattermostCommandFormSchema.safeParse(fields(form));
  if (!parsed.success) return { ok: false, problem: problemOf(parsed.error) };
  return { ok: true, value: commandRequest('mattermost', parsed.data) };
}

/** Slack and Mattermost name a slash command's fields alike. */
function commandRequest(
  platform: 'slack' | 'mattermost',
  f: { team_id: string; user_id: string; user_name: string; channel_id: string; channel_name: string; command: string; text: string; response_url?: string | undefined },
): ChatCommandRequest {
  return {
    user: { platform, teamId: f.team_id, userId: f.user_id, userName: f.user_name, channelId: f.channel_id, channelName: f.channel_name },
    command: f.command,
    text: f.text,
    responseUrl: f.response_url || null,
  };
}

/** A form schema as JSON Schema, for the OpenAPI document. */
export function formJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** A chat request whose signature or token checked out, parsed; what the chatops routes act on. */
export type VerifiedChat =
  | { kind: 'slack-command'; request: ChatCommandRequest & { sslCheck: boolean } }
  | { kind: 'slack-action'; request: ChatActionRequest }
  | { kind: 'mattermost-command'; request: ChatCommandRequest };
