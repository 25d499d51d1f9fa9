import { randomUUID } from 'node:crypto';
import type { AuditEventInput, AuditStore } from '../audit/audit-store.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { MetricsSink, SessionSource } from '../metrics/metrics.js';
import type { PodmanClient } from '../podman/client.js';
import { PodmanApiError } from '../podman/errors.js';
import type { SidecarSpec } from '../podman/types.js';
import { runExec } from '../podman/run-exec.js';
import { type Decision, type SessionRequest, decide, refuseUnknownPrincipal } from '../policy/decide.js';
import type { PolicyHolder } from '../policy/policy-holder.js';
import { DEFAULT_PROFILE, type Profile } from './profiles.js';
import { type Actor, type EndReason, LABEL_MANAGED, LIVE_STATES, type Session } from './session.js';
import type { SessionPage, SessionStore } from './session-store.js';
import { buildSidecarSpec, sidecarName } from './sidecar-spec.js';

export interface CreateSessionInput {
  target: string;
  image?: string | undefined;
  ttlSeconds?: number | undefined;
  maxLifetimeSeconds?: number | undefined;
  /** When maxLifetimeSeconds is not given: a hard lifetime to fit to the policy (chat: room to Extend). */
  preferredMaxLifetimeSeconds?: number | undefined;
  profile?: Profile | undefined;
  reason?: string | undefined;
  command?: string[] | undefined;
}

export interface ExecInput {
  command: string[];
  timeoutSeconds: number;
  stdin?: string | undefined;
}

export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
}

export interface SessionServiceOptions {
  defaultImage: string;
  defaultTtlSeconds: number;
  maxLifetimeSeconds: number;
  maxOutputBytes: number;
}

/**
 * The debug-session lifecycle: create (intent first, then Podman), exec, extend, end. Every step that
 * changes something is recorded in the same transaction as its audit event. Sessions this process
 * is creating or ending right now are "busy": background reaping leaves them to the request.
 */
export class SessionService {
  private readonly creating = new Set<string>();
  private readonly ending = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly sessions: SessionStore,
    private readonly audit: AuditStore,
    private readonly podman: PodmanClient,
    private readonly options: SessionServiceOptions,
    private readonly policy: PolicyHolder,
    private readonly log: Logger,
    private readonly metrics?: Pick<MetricsSink, 'sessionCreate' | 'sessionReaped' | 'execFinished' | 'authzDenied'>,
  ) {}

  get(id: string): Session {
    const session = this.sessions.get(id);
    if (!session) throw new AppError('not_found', `no session with id "${id}"`);
    return session;
  }

  /**
   * The session, if `owner` may act on it: callers reach only their own sessions unless they are
   * admins (owner undefined). Another principal's session is 403, not 404: ids are not secrets.
   */
  authorize(id: string, owner: string | undefined): Session {
    const session = this.get(id);
    if (owner !== undefined && session.requestedBy !== owner) {
      this.metrics?.authzDenied('not-owner');
      throw new AppError('forbidden', `session "${id}" belongs to another principal; that needs the scope "admin"`, {
        extensions: { requiredScope: 'admin' },
      });
    }
    return session;
  }

  list(options: Parameters<SessionStore['list']>[0]): SessionPage {
    return this.sessions.list(options);
  }

  /** True while this process is creating or ending the session. */
  isBusy(id: string): boolean {
    return this.creating.has(id) || this.ending.has(id);
  }

  /** Creates a session; `source` says which front end asked (a metrics label, nothing else). */
  async create(input: CreateSessionInput, actor: Actor, source: SessionSource = 'api'): Promise<Session> {
    const profile = input.profile ?? DEFAULT_PROFILE;
    try {
      const session = await this.createSession(input, actor);
      this.metrics?.sessionCreate('created', profile, source);
      return session;
    } catch (err) {
      const code = err instanceof AppError ? err.code : null;
      const outcome =
        code === 'forbidden' ? 'denied' : code && ['bad_request', 'target_not_found', 'target_not_running', 'conflict'].includes(code) ? 'rejected' : 'failed';
      this.metrics?.sessionCreate(outcome, profile, source);
      throw err;
    }
  }

  private async createSession(input: CreateSessionInput, actor: Actor): Promise<Session> {
    const cap = this.options.maxLifetimeSeconds;
    const issues = [];
    if (input.ttlSeconds !== undefined && input.ttlSeconds > cap) issues.push({ field: 'ttlSeconds', message: `must be <= ${cap}` });
    if (input.maxLifetimeSeconds !== undefined && input.maxLifetimeSeconds > cap) issues.push({ field: 'maxLifetimeSeconds', message: `must be <= ${cap}` });
    const requestedTtl = input.ttlSeconds ?? this.options.defaultTtlSeconds;
    if (input.maxLifetimeSeconds !== undefined && input.maxLifetimeSeconds < requestedTtl) {
      issues.push({ field: 'maxLifetimeSeconds', message: 'must be >= ttlSeconds' });
    }
    if (issues.length > 0) {
      throw new AppError('bad_request', `invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
    }
    const image = input.image ?? this.options.defaultImage;
    const profile = input.profile ?? DEFAULT_PROFILE;
    // A caller no rule applies to learns nothing about the host's containers, not even which exist.
    const unknown = refuseUnknownPrincipal(this.policy.current(), actor.principal);
    if (unknown) this.refuse(unknown, actor, { target: input.target, image, profile });
    const target = await this.podman.inspectContainer(input.target);
    if (!target) throw new AppError('target_not_found', `no container named or with id "${input.target}"`);
    if (target.Config.Labels?.[LABEL_MANAGED] === 'true') {
      throw new AppError('conflict', `"${input.target}" is a debug sidecar itself; debug its target instead`);
    }
    const status = target.State.Status;
    if (!LIVE_STATES.has(status)) {
      // Never start a sidecar next to a stopped target: Podman would silently start the target too.
      throw new AppError('target_not_running', `container "${target.Name}" is ${status}, not running`, {
        extensions: { targetState: status },
      });
    }
    const request: SessionRequest = {
      principal: actor.principal,
      target: { name: target.Name, labels: target.Config.Labels ?? {} },
      image,
      profile,
      ttlSeconds: input.ttlSeconds,
      maxLifetimeSeconds: input.maxLifetimeSeconds,
      preferredMaxLifetimeSeconds: input.preferredMaxLifetimeSeconds === undefined ? undefined : Math.min(cap, input.preferredMaxLifetimeSeconds),
      reason: input.reason,
    };

    const now = new Date();
    const id = randomUUID();
    const name = sidecarName(target.Name);
    this.creating.add(id);
    try {
      // The policy's caps are counted and the intent recorded in one transaction, so concurrent
      // creates cannot both take the last slot. A crash from here on leaves a `creating` row that
      // reconciliation completes.
      const decision = this.inTransaction((): Decision => {
        const verdict = decide(this.policy.current(), request, this.sessions.liveUsage(actor.principal), { ttlSeconds: this.options.defaultTtlSeconds });
        if (!verdict.allowed) {
          this.audit.append(denialEvent(verdict, actor, { target: { id: target.Id, name: target.Name }, image, profile }));
          return verdict;
        }
        const ttlSeconds = verdict.ttlSeconds;
        const maxLifetimeSeconds = verdict.maxLifetimeSeconds;
        this.sessions.insertCreating({
          id,
          targetId: target.Id,
          targetName: target.Name,
          targetImage: target.ImageName ?? target.Image ?? '',
          sidecarName: name,
          sidecarImage: image,
          requestedBy: actor.principal,
          reason: input.reason ?? null,
          command: input.command ?? null,
          ttlSeconds,
          maxLifetimeSeconds,
          profile,
          createdAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
          hardExpiresAt: new Date(now.getTime() + maxLifetimeSeconds * 1000).toISOString(),
        });
        this.audit.append(
          event('session.creating', actor, id, {
            target: { id: target.Id, name: target.Name },
            sidecar: name,
            image,
            profile,
            ttlSeconds,
            maxLifetimeSeconds,
            reason: input.reason ?? null,
            command: input.command ?? null,
            policyRule: verdict.rule,
          }),
        );
        return verdict;
      });
      if (!decision.allowed) this.refuse(decision, actor, null);
      const maxLifetimeSeconds = decision.maxLifetimeSeconds;

      let sidecarId: string | null = null;
      try {
        sidecarId = await this.createSidecar(
          buildSidecarSpec({ sessionId: id, name, image, target, lifetimeSeconds: maxLifetimeSeconds, command: input.command ?? null, profile }),
        );
        await this.podman.startContainer(sidecarId);
      } catch (err) {
        await this.failCreation(id, sidecarId, name, err, actor);
        throw err;
      }
      this.inTransaction(() => {
        this.sessions.markActive(id, sidecarId!);
        this.audit.append(event('session.created', actor, id, { sidecar: { id: sidecarId, name } }));
      });
    } finally {
      this.creating.delete(id);
    }
    this.log.info({ sessionId: id, target: target.Name, sidecar: name, principal: actor.principal }, 'session created');
    return this.get(id);
  }

  /** DELETE: ends a session and removes its sidecar. Idempotent: an ended session is returned as it is. */
  async endByUser(id: string, actor: Actor): Promise<Session> {
    const session = this.get(id);
    if (session.state === 'creating') {
      throw new AppError('conflict', `session "${id}" is still being created; try again in a moment`);
    }
    await this.end(id, 'ended-by-user', actor);
    return this.get(id);
  }

  /**
   * Ends an active session for any reason: removes the sidecar, then records the end. Concurrent
   * calls for one session share the same work; a session that is no longer active is left alone.
   */
  end(id: string, reason: EndReason, actor: Actor): Promise<void> {
    const running = this.ending.get(id);
    if (running) return running;
    const work = (async () => {
      const session = this.sessions.get(id);
      if (!session || session.state !== 'active') return;
      await this.podman.removeContainer(session.sidecar.id ?? session.sidecar.name);
      this.inTransaction(() => {
        if (this.sessions.markEnded(id, reason, new Date().toISOString())) {
          this.audit.append(event('session.ended', actor, id, { reason }));
          if (reason !== 'ended-by-user') this.metrics?.sessionReaped(reason);
        }
      });
      this.log.info({ sessionId: id, reason, principal: actor.principal }, 'session ended');
    })().finally(() => this.ending.delete(id));
    this.ending.set(id, work);
    return work;
  }

  /** PATCH: moves the lease to now + ttlSeconds, within the session's hard lifetime. */
  extend(id: string, ttlSeconds: number, actor: Actor): Session {
    const session = this.get(id);
    if (session.state !== 'active') {
      throw new AppError('session_not_active', `session "${id}" is ${session.state}`, { extensions: { sessionState: session.state } });
    }
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000).toISOString();
    if (expiresAt > session.hardExpiresAt) {
      throw new AppError(
        'conflict',
        `a lease of ${ttlSeconds} s would end after the session's hard lifetime (${session.hardExpiresAt}); ` +
          'start a new session for more time',
        { extensions: { hardExpiresAt: session.hardExpiresAt } },
      );
    }
    let extended = false;
    this.inTransaction(() => {
      extended = this.sessions.extend(id, expiresAt, ttlSeconds);
      if (extended) this.audit.append(event('session.extended', actor, id, { ttlSeconds, expiresAt }));
    });
    if (!extended) throw new AppError('session_not_active', `session "${id}" is no longer active`);
    return this.get(id);
  }

  /** Records a `creating` session left by a crash as failed, after its sidecar (if any) is removed. */
  failAbandoned(id: string, sidecarRemoved: boolean): void {
    this.inTransaction(() => {
      const at = new Date().toISOString();
      if (this.sessions.markFailed(id, null, 'podman-debugd stopped while creating this session', at)) {
        this.audit.append({
          type: 'session.failed',
          actor: 'podman-debugd',
          sessionId: id,
          data: { error: 'abandoned: the daemon stopped during creation', sidecarRemoved },
        });
        this.metrics?.sessionReaped('abandoned');
      }
    });
  }

  async exec(id: string, input: ExecInput, actor: Actor): Promise<ExecOutcome> {
    const session = this.get(id);
    if (session.state !== 'active') {
      throw new AppError('session_not_active', `session "${id}" is ${session.state}`, {
        extensions: { sessionState: session.state },
      });
    }
    const startedAt = new Date();
    let result;
    try {
      result = await runExec(this.podman, {
        containerId: session.sidecar.id ?? session.sidecar.name,
        argv: input.command,
        stdin: input.stdin === undefined ? undefined : Buffer.from(input.stdin, 'utf8'),
        timeoutMs: input.timeoutSeconds * 1000,
        maxOutputBytes: this.options.maxOutputBytes,
      });
    } catch (err) {
      if (err instanceof PodmanApiError && (err.isNoSuchContainer || /state improper|not running/i.test(err.message))) {
        // The sidecar died on its own (its command exited, or conmon's timeout killed it).
        await this.end(id, 'sidecar-exited', actor).catch(() => undefined);
        throw new AppError('session_not_active', `the sidecar of session "${id}" is no longer running; the session has ended`, {
          extensions: { sessionState: 'ended' },
        });
      }
      throw err;
    }
    this.metrics?.execFinished(result.durationMs / 1000);
    const record = {
      argv: input.command,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      stdinBytes: input.stdin === undefined ? 0 : Buffer.byteLength(input.stdin),
      stdoutBytes: result.stdout.totalBytes,
      stderrBytes: result.stderr.totalBytes,
      stdoutSha256: result.stdout.sha256,
      stderrSha256: result.stderr.sha256,
    };
    this.inTransaction(() => {
      this.sessions.insertExecRun({ sessionId: id, requestedBy: actor.principal, startedAt: startedAt.toISOString(), ...record });
      this.audit.append(event('exec.completed', actor, id, record));
    });
    const outcome = {
      stdout: result.stdout.text,
      stderr: result.stderr.text,
      stdoutTruncated: result.stdout.truncated,
      stderrTruncated: result.stderr.truncated,
      durationMs: result.durationMs,
    };
    if (result.timedOut || result.exitCode === null) {
      throw new AppError('exec_timeout', `the command did not finish within ${input.timeoutSeconds} s`, {
        extensions: { ...outcome, exitCode: null },
      });
    }
    return { exitCode: result.exitCode, ...outcome };
  }

  /**
   * Creates the sidecar. The image is nearly always present, so create is tried first rather than
   * asking Podman whether the image exists before every create (one libpod call fewer per
   * session): only when create answers "image not known" is the image pulled and create retried.
   */
  private async createSidecar(spec: SidecarSpec): Promise<string> {
    try {
      return await this.podman.createContainer(spec);
    } catch (err) {
      if (!(err instanceof PodmanApiError && err.isNoSuchImage)) throw err;
    }
    await this.pullImage(spec.image);
    return this.podman.createContainer(spec);
  }

  /** Pulls a missing image (libpod's policy=missing); a failed pull is a 502. */
  private async pullImage(image: string): Promise<void> {
    this.log.info({ image }, 'pulling debug image');
    try {
      await this.podman.pullImage(image);
    } catch (err) {
      if (err instanceof PodmanApiError) {
        throw new AppError('image_pull_failed', `could not pull image "${image}": ${err.podmanMessage}`, { cause: err });
      }
      throw err;
    }
  }

  private async failCreation(id: string, sidecarId: string | null, name: string, err: unknown, actor: Actor) {
    // Remove whatever Podman made, by id if we have one, else by name (create may have succeeded
    // on Podman's side even though we never saw its answer).
    let removed = false;
    try {
      removed = await this.podman.removeContainer(sidecarId ?? name);
    } catch (cleanupErr) {
      this.log.error({ err: cleanupErr, sessionId: id, sidecar: name }, 'could not remove sidecar of failed session; reconciliation will');
    }
    const failure = err instanceof Error ? err.message : String(err);
    this.inTransaction(() => {
      this.sessions.markFailed(id, sidecarId, failure, new Date().toISOString());
      this.audit.append(event('session.failed', actor, id, { error: failure, sidecarRemoved: removed }));
    });
    this.log.warn({ err, sessionId: id }, 'session creation failed');
  }

  private inTransaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Throws the 403 for a policy refusal, auditing it first unless that is already done (`audited` null). */
  private refuse(decision: Extract<Decision, { allowed: false }>, actor: Actor, audited: Record<string, unknown> | null): never {
    if (audited !== null) this.audit.append(denialEvent(decision, actor, audited));
    this.metrics?.authzDenied(`policy-${decision.reason}`);
    this.log.info({ principal: actor.principal, rule: decision.rule, reason: decision.reason }, 'policy refused a session');
    throw new AppError('forbidden', decision.detail, { extensions: { policyRule: decision.rule, policyReason: decision.reason } });
  }
}

function denialEvent(decision: Extract<Decision, { allowed: false }>, actor: Actor, request: Record<string, unknown>): AuditEventInput {
  return {
    type: 'policy.denied',
    actor: actor.principal,
    requestId: actor.requestId,
    data: { rule: decision.rule, reason: decision.reason, detail: decision.detail, ...request, ...chatOf(actor) },
  };
}

function event(type: AuditEventInput['type'], actor: Actor, sessionId: string, data: Record<string, unknown>): AuditEventInput {
  return { type, actor: actor.principal, sessionId, requestId: actor.requestId, data: { ...data, ...chatOf(actor) } };
}

/** A chat action's platform, team, user and channel, recorded with every event it causes. */
function chatOf(actor: Actor): { chat?: Actor['chat'] } {
  return actor.chat ? { chat: actor.chat } : {};
}
