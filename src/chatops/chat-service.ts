import type { AuditStore } from '../audit/audit-store.js';
import { type Scope, hasScope } from '../auth/scopes.js';
import { AppError } from '../errors.js';
import { type CommandLimits, checkCommandLimits } from '../http/command-limits.js';
import { CreateSessionSchema, ExecRequestSchema } from '../http/schemas.js';
import type { Logger } from '../log/logger.js';
import type { CreateSessionInput, SessionService } from '../sessions/session-service.js';
import type { Actor, Session } from '../sessions/session.js';
import { SLACK_ACTION_END, SLACK_ACTION_EXTEND, slackResponse } from './block-kit.js';
import {
  type ChatMessage,
  EXTEND_SECONDS,
  channelEndNotice,
  channelStartNotice,
  commandOutputMessage,
  helpMessage,
  sessionEndedMessage,
  sessionExtendedMessage,
  sessionListMessage,
  sessionStartedMessage,
  textMessage,
} from './chat-message.js';
import type { ChatActionRequest, ChatCommandRequest } from './chat-payloads.js';
import type { ChatPlatform, ChatopsSettings } from './chatops-config.js';
import { type ChatCommand, parseCommand } from './command-grammar.js';
import type { ChatPrincipal, ChatUser, IdentityMap } from './identity-map.js';
import { mattermostResponse } from './mattermost-markdown.js';
import type { ResponsePoster } from './response-poster.js';

export const CHAT_EXEC_TIMEOUT_SECONDS = 30;
const LIST_LIMIT = 15;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The scope each command needs: the same scopes as the API routes doing the same thing. */
const NEEDED: Record<ChatCommand['kind'], Scope | null> = { help: null, list: 'sessions:read', create: 'sessions:write', run: 'exec', end: 'sessions:write' };

export interface ChatServiceDeps {
  sessions: SessionService;
  audit: AuditStore;
  identities: IdentityMap;
  posters: Readonly<Partial<Record<ChatPlatform, ResponsePoster>>>;
  settings: ChatopsSettings;
  commandLimits: CommandLimits;
  /** The daemon's default lease and its cap on hard lifetimes. */
  defaultTtlSeconds: number;
  maxLifetimeSeconds: number;
  log: Logger;
}

/** Renders a message the way the platform's answers and response_url posts take it. */
export function renderChat(platform: ChatPlatform, message: ChatMessage, options: { inChannel?: boolean; replaceOriginal?: boolean } = {}) {
  return platform === 'slack' ? slackResponse(message, options) : mattermostResponse(message, options);
}

/**
 * Turns verified chat requests into SessionService calls, as the mapped principal: the same policy,
 * scopes and ownership rules as an API token of that name, with the chat user on record in every
 * audit event. Answers that need no Podman come back at once; work that does runs after the
 * request is acknowledged, and its outcome is posted to the response_url. Never throws into the
 * request path once a job is scheduled.
 */
export class ChatCommandService {
  private readonly jobs = new Set<Promise<void>>();

  constructor(private readonly deps: ChatServiceDeps) {}

  identify(user: ChatUser): ChatPrincipal | null {
    return this.deps.identities.resolve(user.platform, user.teamId, user.userId);
  }

  /** Settles when every scheduled job has finished (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.jobs.size > 0) await Promise.allSettled([...this.jobs]);
  }

  /** A slash command: the immediate answer; any Podman work is scheduled and posted later. */
  command(req: ChatCommandRequest, requestId: string): ChatMessage {
    const command = parseCommand(req.text);
    const record = (outcome: string, principal: string | null) =>
      this.record(req.user, principal, requestId, { command: command.kind, text: req.text.slice(0, 1000), outcome });

    const identity = this.identify(req.user);
    if (!identity) {
      record('unmapped', null);
      return this.unmappedMessage(req.user);
    }
    if (command.kind === 'help') {
      record('answered', identity.principal);
      return helpMessage(command.problem, req.command);
    }
    const needed = NEEDED[command.kind];
    if (needed && !hasScope(identity.scopes, needed)) {
      record('missing-scope', identity.principal);
      return this.missingScopeMessage(identity, needed, req.command);
    }
    const actor = this.actor(identity, req.user, requestId);
    if (command.kind === 'list') {
      record('answered', identity.principal);
      return this.list(identity);
    }
    const refusal = this.checkResponseUrl(req.user.platform, req.responseUrl);
    if (refusal) {
      record('response-url-refused', identity.principal);
      return refusal;
    }
    record('accepted', identity.principal);
    const post = (message: ChatMessage, inChannel = false) => this.post(req.user.platform, req.responseUrl!, message, { inChannel });
    switch (command.kind) {
      case 'create':
        this.schedule(requestId, () => this.create(command, actor, req.user, post));
        return textMessage(`Working on it: starting a debug session on ${command.target}…`);
      case 'run':
        this.schedule(requestId, () => this.run(command, identity, actor, post));
        return textMessage(`Working on it: running ${command.argv.join(' ')}…`);
      case 'end':
        this.schedule(requestId, () => this.endByRef(command.ref, identity, actor, req.user, post));
        return textMessage(`Working on it: ending the session on ${command.ref}…`);
    }
  }

  /**
   * A button (Slack block_actions). Slack ignores the body of the answer to a button, so every
   * outcome, refusals included, is posted to the payload's response_url (if its host is allowed).
   */
  action(req: ChatActionRequest, requestId: string): void {
    const kind = req.action === SLACK_ACTION_END ? 'end' : req.action === SLACK_ACTION_EXTEND ? 'extend' : null;
    const identity = this.identify(req.user);
    const scoped = identity !== null && hasScope(identity.scopes, 'sessions:write');
    const allowed = this.checkResponseUrl(req.user.platform, req.responseUrl) === null;
    this.record(req.user, identity?.principal ?? null, requestId, {
      command: kind ? `button:${kind}` : `button:${req.action.slice(0, 64)}`,
      sessionId: req.value.slice(0, 64),
      outcome: !kind ? 'ignored' : !identity ? 'unmapped' : !scoped ? 'missing-scope' : !allowed ? 'response-url-refused' : 'accepted',
    });
    if (!kind || !allowed) return;
    const post = (message: ChatMessage, options: { inChannel?: boolean; replaceOriginal?: boolean } = {}) =>
      this.post(req.user.platform, req.responseUrl!, message, options);
    if (!identity || !scoped) {
      const refusal = identity ? this.missingScopeMessage(identity, 'sessions:write', '/debug') : this.unmappedMessage(req.user);
      this.schedule(requestId, () => post(refusal));
      return;
    }
    const actor = this.actor(identity, req.user, requestId);
    this.schedule(requestId, async () => {
      try {
        const session = this.deps.sessions.authorize(req.value, this.owner(identity));
        if (kind === 'extend') await post(this.extend(session, actor, req.user), { replaceOriginal: true });
        else await this.end(session, actor, req.user, (m, inChannel) => post(m, inChannel ? { inChannel: true } : { replaceOriginal: true }));
      } catch (err) {
        await post(this.failureMessage(err, actor));
      }
    });
  }

  // ---------------------------------------------------------------------------------------------

  private async create(
    command: Extract<ChatCommand, { kind: 'create' }>,
    actor: Actor,
    user: ChatUser,
    post: (m: ChatMessage, inChannel?: boolean) => Promise<void>,
  ): Promise<void> {
    try {
      const input: CreateSessionInput = {
        target: command.target,
        image: command.image,
        ttlSeconds: command.ttlSeconds,
        profile: command.profile,
        reason: command.reason,
      };
      const valid = CreateSessionSchema.safeParse(stripUndefined(input));
      if (!valid.success) {
        await post(textMessage(invalidSentence(valid.error.issues, input as unknown as Record<string, unknown>)));
        return;
      }
      if (input.ttlSeconds !== undefined && input.ttlSeconds > this.deps.maxLifetimeSeconds) {
        await post(textMessage(`A lease of ${duration(input.ttlSeconds)} is longer than this daemon allows (${duration(this.deps.maxLifetimeSeconds)}).`));
        return;
      }
      // Room for the Extend button: a hard lifetime beyond the first lease (the chatops file's
      // maxLifetime), fitted to what the policy allows rather than refused.
      const preferredMaxLifetimeSeconds = Math.min(this.deps.maxLifetimeSeconds, this.deps.settings.maxLifetimeSeconds);
      const session = await this.deps.sessions.create({ ...input, preferredMaxLifetimeSeconds }, actor, user.platform);
      await post(sessionStartedMessage(session, user));
      if (this.deps.settings[user.platform]?.channelNotices) await post(channelStartNotice(session, user), true);
    } catch (err) {
      await post(this.failureMessage(err, actor));
    }
  }

  private async run(
    command: Extract<ChatCommand, { kind: 'run' }>,
    identity: ChatPrincipal,
    actor: Actor,
    post: (m: ChatMessage) => Promise<void>,
  ): Promise<void> {
    let session: Session | undefined;
    try {
      const valid = ExecRequestSchema.safeParse({ command: command.argv, timeoutSeconds: CHAT_EXEC_TIMEOUT_SECONDS });
      if (!valid.success) {
        await post(textMessage(invalidSentence(valid.error.issues, { command: command.argv })));
        return;
      }
      checkCommandLimits(this.deps.commandLimits, { command: command.argv });
      session = this.resolve(command.ref, identity);
      const outcome = await this.deps.sessions.exec(session.id, { command: command.argv, timeoutSeconds: CHAT_EXEC_TIMEOUT_SECONDS }, actor);
      await post(commandOutputMessage(session, command.argv, outcome, CHAT_EXEC_TIMEOUT_SECONDS));
    } catch (err) {
      if (session && err instanceof AppError && err.code === 'exec_timeout') {
        const partial = err.extensions as { stdout: string; stderr: string; stdoutTruncated: boolean; stderrTruncated: boolean; durationMs: number };
        await post(commandOutputMessage(session, command.argv, { ...partial, exitCode: null }, CHAT_EXEC_TIMEOUT_SECONDS));
        return;
      }
      await post(this.failureMessage(err, actor));
    }
  }

  private async endByRef(ref: string, identity: ChatPrincipal, actor: Actor, user: ChatUser, post: (m: ChatMessage, inChannel?: boolean) => Promise<void>) {
    try {
      await this.end(this.resolve(ref, identity), actor, user, post);
    } catch (err) {
      await post(this.failureMessage(err, actor));
    }
  }

  private async end(session: Session, actor: Actor, user: ChatUser, post: (m: ChatMessage, inChannel?: boolean) => Promise<void>) {
    if (session.state !== 'active' && session.state !== 'creating') {
      await post(textMessage(`The session on ${session.target.name} had already ended (${session.endReason ?? session.state}).`));
      return;
    }
    const ended = await this.deps.sessions.endByUser(session.id, actor);
    await post(sessionEndedMessage(ended, user));
    if (this.deps.settings[user.platform]?.channelNotices) await post(channelEndNotice(ended, user), true);
  }

  /** Extend (+15 min): the lease moves 15 minutes past where it was, but never past the hard lifetime. */
  private extend(session: Session, actor: Actor, user: ChatUser): ChatMessage {
    if (session.state !== 'active') {
      return textMessage(`The session on ${session.target.name} has already ended (${session.endReason ?? session.state}); start a new one with /debug ${session.target.name}.`);
    }
    const now = Date.now();
    const hard = Date.parse(session.hardExpiresAt);
    const wanted = Math.min(Math.max(now, Date.parse(session.expiresAt)) + EXTEND_SECONDS * 1000, hard);
    const ttlSeconds = Math.floor((wanted - now) / 1000);
    if (ttlSeconds < 1 || wanted <= Date.parse(session.expiresAt) + 1000) {
      return textMessage(`The session on ${session.target.name} already runs until its hard lifetime (${session.hardExpiresAt}); start a new session for more time.`);
    }
    const extended = this.deps.sessions.extend(session.id, ttlSeconds, actor);
    return sessionExtendedMessage(extended, user, Date.parse(extended.expiresAt) >= hard - 1000);
  }

  private list(identity: ChatPrincipal): ChatMessage {
    const owner = this.owner(identity);
    const page = this.deps.sessions.list({ state: 'active', owner, beforeSeq: null, limit: LIST_LIMIT });
    return sessionListMessage(page.items, page.nextSeq !== null, owner === undefined);
  }

  /**
   * A session named in a command: a session id (or its first 8+ characters), else a target name
   * (the caller's newest active session on it). Ownership as in the API: admins reach everyone's.
   */
  private resolve(ref: string, identity: ChatPrincipal): Session {
    const owner = this.owner(identity);
    if (UUID.test(ref)) return this.deps.sessions.authorize(ref.toLowerCase(), owner);
    const active = (target?: string, who = owner) =>
      this.deps.sessions.list({ state: 'active', target, owner: who, beforeSeq: null, limit: 100 }).items;
    if (/^[0-9a-f]{8,35}$/i.test(ref)) {
      const matches = active().filter((s) => s.id.startsWith(ref.toLowerCase()));
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) throw new AppError('conflict', `More than one session starts with ${ref}; give more of its id.`);
    }
    // Your own first, even for admins; then (admins only) anyone's.
    const mine = active(ref, identity.principal);
    const candidates = mine.length > 0 ? mine : owner === undefined ? active(ref) : [];
    const live = candidates.find((s) => s.state === 'active');
    if (live) return live;
    if (candidates.length > 0) throw new AppError('conflict', `The session on ${ref} is still being created; try again in a moment.`);
    throw new AppError('not_found', `You have no active debug session on ${ref}. Start one with /debug ${ref}.`);
  }

  private owner(identity: ChatPrincipal): string | undefined {
    return identity.scopes.has('admin') ? undefined : identity.principal;
  }

  private actor(identity: ChatPrincipal, user: ChatUser, requestId: string): Actor {
    return {
      principal: identity.principal,
      requestId,
      chat: { platform: user.platform, teamId: user.teamId, userId: user.userId, userName: user.userName, channelId: user.channelId, channelName: user.channelName },
    };
  }

  private record(user: ChatUser, principal: string | null, requestId: string, data: Record<string, unknown>): void {
    this.deps.audit.append({
      type: 'chat.command',
      actor: principal,
      requestId,
      data: { platform: user.platform, teamId: user.teamId, userId: user.userId, userName: user.userName, channelId: user.channelId, channelName: user.channelName, ...data },
    });
    this.deps.log.info({ requestId, platform: user.platform, teamId: user.teamId, userId: user.userId, principal, command: data.command, outcome: data.outcome }, 'chat command');
  }

  private checkResponseUrl(platform: ChatPlatform, url: string | null): ChatMessage | null {
    const poster = this.deps.posters[platform];
    if (url && poster?.allows(url)) return null;
    let host = '(none)';
    try {
      if (url) host = new URL(url).host;
    } catch {
      host = '(not a URL)';
    }
    return textMessage(
      `Nothing was done: podman-debugd may not answer to this command's response_url (host ${host}). ` +
        `The operators can allow it in the chatops file (${platform}.responseUrlHosts).`,
    );
  }

  private unmappedMessage(user: ChatUser): ChatMessage {
    return textMessage(
      `I don't know who you are on this host yet, so I can't debug anything for you. To get access, ${this.deps.settings.accessHelp}. ` +
        `Give them these ids: platform ${user.platform}, team ${user.teamId}, user ${user.userId}${user.userName ? ` (${user.userName})` : ''}.`,
    );
  }

  private missingScopeMessage(identity: ChatPrincipal, scope: Scope, command: string): ChatMessage {
    return textMessage(
      `You are mapped to ${identity.principal}, which lacks the scope "${scope}" that this needs. ` +
        `To get it, ${this.deps.settings.accessHelp}. ${command} help lists what you can do.`,
    );
  }

  /** An error as a sentence for a tired on-call engineer; internals stay in the log. */
  private failureMessage(err: unknown, actor: Actor): ChatMessage {
    if (!(err instanceof AppError)) {
      this.deps.log.error({ err, requestId: actor.requestId, principal: actor.principal }, 'chat command failed');
      return textMessage(`Something went wrong inside podman-debugd. Give the operators this request id: ${actor.requestId}.`);
    }
    const detail = sentence(err.message);
    switch (err.code) {
      case 'forbidden':
        return textMessage(`${err.extensions?.policyReason ? 'The policy does not allow this' : 'Not allowed'}: ${sentence(err.message, false)}`);
      case 'target_not_found':
        return textMessage(`There is no container called ${String((err.message.match(/"([^"]+)"/) ?? [])[1] ?? 'that')} on this host.`);
      case 'target_not_running':
        return textMessage(`${detail} Start it first; a stopped container cannot be debugged.`);
      case 'podman_unavailable':
        return textMessage('Podman is not answering right now; try again in a minute.');
      case 'image_pull_failed':
        return textMessage(`${detail} Pick another image with --image, or ask the operators to make this one available.`);
      case 'bad_request':
        return textMessage(err.issues ? invalidSentence(err.issues.map((i) => ({ path: [i.field], message: i.message })), {}) : detail);
      default:
        return textMessage(detail);
    }
  }

  private async post(platform: ChatPlatform, url: string, message: ChatMessage, options: { inChannel?: boolean; replaceOriginal?: boolean }): Promise<void> {
    await this.deps.posters[platform]?.post(url, renderChat(platform, message, options));
  }

  private schedule(requestId: string, work: () => Promise<void>): void {
    // Started on the next turn, after the acknowledgement is on its way.
    const job: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((err: unknown) => this.deps.log.error({ err, requestId }, 'chat job failed'))
      .finally(() => this.jobs.delete(job));
    this.jobs.add(job);
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Validation issues as one sentence naming what the user typed. */
function invalidSentence(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>, input: Record<string, unknown>): string {
  const parts = issues.map((issue) => {
    const field = String(issue.path[0] ?? '');
    const value = input[field];
    switch (field) {
      case 'target':
        return `“${String(value)}” is not a container name or id`;
      case 'image':
        return `“${String(value)}” is not an image reference such as docker.io/library/busybox:latest`;
      case 'reason':
        return 'the reason is too long (at most 1000 characters)';
      case 'ttlSeconds':
      case 'maxLifetimeSeconds':
        return `the lease ${issue.message}`;
      case 'command':
        return issue.path.length > 1 ? `argument ${Number(issue.path[1]) + 1} of the command ${issue.message}` : `the command ${issue.message}`;
      default:
        return `${field || 'the request'} ${issue.message}`;
    }
  });
  return sentence(`That did not work: ${[...new Set(parts)].join('; ')}`);
}

function sentence(text: string, capitalize = true): string {
  const t = text.trim();
  const capital = capitalize ? t.charAt(0).toUpperCase() + t.slice(1) : t;
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
