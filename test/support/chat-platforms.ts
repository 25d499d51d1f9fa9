/**
 * Slack and Mattermost as the tests play them: requests built the way those platforms build them
 * (fields in their order and encoding, headers, signature or token), a local HTTP server playing
 * response_url that records every post, and a chatops file with its secrets in their own files.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { slackSignature } from '../../src/chatops/slack-signature.js';

// ---------------------------------------------------------------------------------------------
// response_url

export interface RecordedPost {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  at: number;
}

export interface ResponseServer {
  /** Origin, e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  readonly posts: RecordedPost[];
  /** A fresh response_url on this server (Slack's shape: /commands/<team>/<id>/<secret>). */
  url(kind?: 'commands' | 'actions'): string;
  /** Posts made to one response_url. */
  postsTo(url: string): RecordedPost[];
  /** Waits until `count` posts reached `url` (default 1), or fails after timeoutMs. */
  waitFor(url: string, count?: number, timeoutMs?: number): Promise<RecordedPost[]>;
  close(): Promise<void>;
}

export async function startResponseServer(): Promise<ResponseServer> {
  const posts: RecordedPost[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      posts.push({ path: req.url ?? '', headers: req.headers, body, at: Date.now() });
      for (const w of waiters) w();
      // What Slack answers a good response_url post with.
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let n = 0;
  const postsTo = (url: string) => posts.filter((p) => origin + p.path === url);
  return {
    origin,
    posts,
    url(kind = 'commands') {
      n += 1;
      return `${origin}/${kind}/T0TEST/${1000 + n}/${Math.random().toString(36).slice(2, 14)}`;
    },
    postsTo,
    async waitFor(url, count = 1, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (postsTo(url).length < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} post(s) to ${url}; got ${JSON.stringify(postsTo(url).map((p) => p.body))}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
          setTimeout(wake, 200);
        });
      }
      return postsTo(url);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------
// Slack

export interface SlackUserFields {
  team_id: string;
  user_id: string;
  user_name: string;
  channel_id?: string;
  channel_name?: string;
}

/** Slack escapes these three in a slash command's text before sending it. */
function slackEscapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The form body of a Slack slash command, field by field as Slack sends it. */
export function slackCommandBody(user: SlackUserFields, text: string, responseUrl: string, command = '/debug'): string {
  const form = new URLSearchParams();
  form.append('token', 'gIkuvaNzQIHg97ATvDxqgjtO'); // the deprecated verification token: ignored
  form.append('team_id', user.team_id);
  form.append('team_domain', 'example');
  form.append('channel_id', user.channel_id ?? 'C2147483705');
  form.append('channel_name', user.channel_name ?? 'incident-42');
  form.append('user_id', user.user_id);
  form.append('user_name', user.user_name);
  form.append('command', command);
  form.append('text', slackEscapeText(text));
  form.append('api_app_id', 'A0DEBUGD01');
  form.append('is_enterprise_install', 'false');
  form.append('response_url', responseUrl);
  form.append('trigger_id', `${Date.now()}.1234567890.${Math.random().toString(16).slice(2, 34)}`);
  return form.toString();
}

/** A block_actions payload as Slack posts it when a button on an ephemeral message is clicked. */
export function blockActionsPayload(user: SlackUserFields, action: { action_id: string; value: string; text: string }, responseUrl: string) {
  const now = (Date.now() / 1000).toFixed(6);
  return {
    type: 'block_actions',
    user: { id: user.user_id, username: user.user_name, name: user.user_name, team_id: user.team_id },
    api_app_id: 'A0DEBUGD01',
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    container: { type: 'message', message_ts: now, channel_id: user.channel_id ?? 'C2147483705', is_ephemeral: true },
    trigger_id: `${Date.now()}.1234567890.${Math.random().toString(16).slice(2, 34)}`,
    team: { id: user.team_id, domain: 'example' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: user.channel_id ?? 'C2147483705', name: user.channel_name ?? 'incident-42' },
    state: { values: {} },
    response_url: responseUrl,
    actions: [
      {
        action_id: action.action_id,
        block_id: 'AbCd',
        text: { type: 'plain_text', text: action.text, emoji: true },
        value: action.value,
        type: 'button',
        action_ts: now,
      },
    ],
  };
}

/** Slack's interactivity body: one form field, `payload`, holding the JSON. */
export function slackActionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The headers Slack sends, signed with `secret` at `timestamp` (seconds; default now). */
export function slackHeaders(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const ts = String(timestamp);
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    accept: 'application/json,*/*',
    'accept-encoding': 'gzip,deflate',
    'x-slack-request-timestamp': ts,
    'x-slack-signature': slackSignature(secret, ts, body),
  };
}

// ---------------------------------------------------------------------------------------------
// Mattermost

export interface MattermostUserFields {
  team_id: string;
  user_id: string;
  user_name: string;
  channel_id?: string;
  channel_name?: string;
}

/** A Mattermost slash command's form: Go's url.Values.Encode, so keys sorted, spaces as '+'. */
export function mattermostCommandBody(user: MattermostUserFields, text: string, responseUrl: string, token: string, command = '/debug'): string {
  const fields: Record<string, string> = {
    channel_id: user.channel_id ?? 'i3bb9xfyqt8rtbyshmyhgsj16c',
    channel_name: user.channel_name ?? 'town-square',
    command,
    response_url: responseUrl,
    team_domain: 'example',
    team_id: user.team_id,
    text,
    token,
    trigger_id: 'NG1kM3lyN2NqYmQxcGNyc2s0Nmo5em0xb2M6azF4NGFxZGp5MzgxM2M4NG03NzFlb2M5eG86MTU1MTIwODE5NTQyNzpNRVVDSUhS',
    user_id: user.user_id,
    user_name: user.user_name,
  };
  const form = new URLSearchParams();
  for (const key of Object.keys(fields).sort()) form.append(key, fields[key]!);
  return form.toString();
}

export function mattermostHeaders(token: string): Record<string, string> {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'mattermost-9.11.0',
    accept: 'application/json',
    authorization: `Token ${token}`,
    'accept-encoding': 'gzip',
  };
}

// ---------------------------------------------------------------------------------------------
// Sending, and the chatops file

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
  ms: number;
}

/** POSTs over real HTTP, as the platform would. */
export async function send(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  const ms = performance.now() - started;
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json, ms };
}

/** Writes each secret to its own file and the chatops file (JSON) naming them; returns its path. */
export function writeChatopsFile(dir: string, chatops: Record<string, unknown>, secrets: Record<string, string>): string {
  for (const [name, value] of Object.entries(secrets)) writeFileSync(join(dir, name), `${value}\n`, { mode: 0o600 });
  const path = join(dir, 'chatops.json');
  writeFileSync(path, JSON.stringify(chatops, null, 2));
  return path;
}

/** All the text a Slack message shows: its fallback text and every block's text, flattened. */
export function slackText(message: any): string {
  const parts: string[] = [String(message?.text ?? '')];
  const walk = (node: any) => {
    if (!node || typeof node !== 'object') return;
    if (typeof node.text === 'string') parts.push(node.text);
    for (const v of Object.values(node)) if (v && typeof v === 'object') walk(v);
  };
  for (const b of message?.blocks ?? []) walk(b);
  return parts.join('\n');
}
