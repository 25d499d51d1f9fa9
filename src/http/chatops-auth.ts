import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { type Parsed, type VerifiedChat, parseForm, parseMattermostCommand, parseSlackAction, parseSlackCommand } from '../chatops/chat-payloads.js';
import { defaultPrincipal } from '../chatops/identity-map.js';
import { AppError } from '../errors.js';
import type { ApiDeps, App, AppEnv } from './app-env.js';
import { TokenBuckets } from './rate-limit.js';

/** The chat routes: authenticated by the platform's signature or token, never by a bearer token. */
export const CHATOPS_PATHS = {
  'slack-command': '/v1/chatops/slack/commands',
  'slack-action': '/v1/chatops/slack/actions',
  'mattermost-command': '/v1/chatops/mattermost/commands',
} as const satisfies Record<VerifiedChat['kind'], string>;

type Kind = VerifiedChat['kind'];
const KINDS = Object.keys(CHATOPS_PATHS) as Kind[];
const FORM = /^application\/x-www-form-urlencoded(\s*;.*)?$/i;

type Deps = Pick<ApiDeps, 'chatops' | 'audit' | 'log' | 'authFailuresPerMinute'>;

/** True for exactly the chat routes' POSTs: those skip bearer authentication. */
export function isChatopsRequest(c: Context<AppEnv>): boolean {
  return c.req.method === 'POST' && KINDS.some((k) => CHATOPS_PATHS[k] === c.req.path);
}

/** Wraps a middleware so it does not run for the chat routes (they authenticate themselves). */
export function exceptChatops(middleware: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return async (c, next) => (isChatopsRequest(c) ? next() : middleware(c, next));
}

/**
 * Mounts the chat routes' authentication: before bearer auth and the rate limit, so the rate limit
 * counts the mapped chat principal. The raw body is read once, the signature (Slack) or token
 * (Mattermost) checked over it, and only then is the form parsed. A refusal is a 401 problem and
 * nothing else happens; it is audited like a refused bearer token, and an address that keeps
 * failing gets 429 instead (audited once a minute), as on the bearer routes.
 */
export function registerChatopsAuth(app: App, deps: Deps): void {
  const perMinute = deps.authFailuresPerMinute;
  const failures = perMinute > 0 ? new TokenBuckets({ perSecond: perMinute / 60, burst: perMinute }) : null;
  for (const kind of KINDS) app.use(CHATOPS_PATHS[kind], chatopsAuth(kind, deps, failures));
}

function chatopsAuth(kind: Kind, deps: Deps, failures: TokenBuckets | null): MiddlewareHandler<AppEnv> {
  const platform = kind.startsWith('slack') ? 'slack' : 'mattermost';
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const raw = Buffer.from(await c.req.arrayBuffer());
    const refusal = verify(kind, deps, c, raw);
    if (refusal) refuse(c, deps, failures, platform, refusal);

    if (!FORM.test(c.req.header('content-type') ?? '')) {
      throw new AppError('unsupported_media_type', `send application/x-www-form-urlencoded, as ${platform === 'slack' ? 'Slack' : 'Mattermost'} does`);
    }
    const form = parseForm(raw);
    const parsed: Parsed<VerifiedChat['request']> =
      kind === 'slack-command' ? parseSlackCommand(form) : kind === 'slack-action' ? parseSlackAction(form) : parseMattermostCommand(form);
    if (!parsed.ok) throw new AppError('bad_request', `invalid ${platform} request: ${parsed.problem}`);
    const user = parsed.value.user;
    const identity = deps.chatops.service!.identify(user);
    // Unmapped users get a message saying how to get access; they are limited under this name.
    c.set('principal', identity?.principal ?? `unmapped:${defaultPrincipal(user.platform, user.teamId, user.userId)}`);
    c.set('scopes', identity?.scopes ?? new Set<string>());
    c.set('chat', { kind, request: parsed.value } as VerifiedChat);
    await next();
  };
}

interface Refusal {
  reason: string;
  detail: string;
}

function verify(kind: Kind, deps: Deps, c: Context<AppEnv>, raw: Buffer): Refusal | null {
  if (kind === 'mattermost-command') {
    if (!deps.chatops.mattermost) {
      return { reason: 'not-configured', detail: 'Mattermost commands are not set up on this daemon (no "mattermost" section in the chatops file)' };
    }
    const form = FORM.test(c.req.header('content-type') ?? '') ? parseForm(raw) : null;
    const verdict = deps.chatops.mattermost.verify(form?.get('token') ?? null, c.req.header('authorization'));
    if (verdict.ok) return null;
    return {
      reason: `token-${verdict.reason}`,
      detail:
        verdict.reason === 'missing'
          ? 'send the slash command token (form field "token" or Authorization: Token …)'
          : verdict.reason === 'conflict'
            ? 'the token in the form and in the Authorization header differ'
            : 'the Mattermost command token is not valid',
    };
  }
  if (!deps.chatops.slack) {
    return { reason: 'not-configured', detail: 'Slack requests are not set up on this daemon (no "slack" section in the chatops file)' };
  }
  const verdict = deps.chatops.slack.verify(c.req.header('x-slack-request-timestamp'), c.req.header('x-slack-signature'), raw);
  if (verdict.ok) return null;
  const detail = {
    missing: 'send X-Slack-Request-Timestamp and X-Slack-Signature, as Slack does',
    malformed: 'X-Slack-Request-Timestamp or X-Slack-Signature is malformed',
    stale: 'the request timestamp is more than 300 s away from now',
    mismatch: 'the Slack signature does not match the request',
    replayed: 'this signed request was already received once',
    'replay-cache-full': 'too many signed requests in the last 5 minutes; try again shortly',
  }[verdict.reason];
  return { reason: `signature-${verdict.reason}`, detail };
}

function refuse(c: Context<AppEnv>, deps: Deps, failures: TokenBuckets | null, platform: string, refusal: Refusal): never {
  const source = clientAddress(c);
  const allowance = failures?.take(source) ?? { allowed: true as const };
  const request = { platform, method: c.req.method, path: c.req.path };
  if (!allowance.allowed) {
    if (allowance.report) {
      deps.log.warn({ source, refused: allowance.report.refused, requestId: c.get('requestId'), platform }, 'too many refused chat requests from one address');
      deps.audit.append({
        type: 'auth.denied',
        actor: null,
        requestId: c.get('requestId'),
        data: { reason: 'too-many-failures', source, refused: allowance.report.refused, ...request },
      });
    }
    throw new AppError('rate_limited', `too many refused requests from this address (at most ${deps.authFailuresPerMinute} a minute); retry after ${allowance.retryAfterSeconds} s`, {
      retryAfterSeconds: allowance.retryAfterSeconds,
    });
  }
  deps.audit.append({ type: 'auth.denied', actor: null, requestId: c.get('requestId'), data: { reason: refusal.reason, ...request } });
  throw new AppError('unauthenticated', refusal.detail);
}

function clientAddress(c: Context<AppEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? 'unix-socket';
  } catch {
    return 'in-process';
  }
}
