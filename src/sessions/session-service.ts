import { randomUUID } from 'node:crypto';
import type { AuditEventInput, AuditStore } from '../audit/audit-store.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { PodmanClient } from '../podman/client.js';
import { PodmanApiError } from '../podman/errors.js';
import { runExec } from '../podman/run-exec.js';
import type { ContainerInspect } from '../podman/types.js';
import { LABEL_MANAGED, type Session } from './session.js';
import type { SessionPage, SessionStore } from './session-store.js';
import { buildSidecarSpec, sidecarName } from './sidecar-spec.js';

/** Who is asking, for the audit trail. */
export interface Caller {
  principal: string;
  requestId: string;
}

export interface CreateSessionInput {
  target: string;
  image?: string | undefined;
  ttlSeconds?: number | undefined;
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
  maxTtlSeconds: number;
  maxOutputBytes: number;
}

/** Target states a sidecar can join. Paused targets share their namespaces as well as running ones. */
const DEBUGGABLE_STATES = new Set(['running', 'paused']);

/**
 * The debug-session lifecycle: create (intent first, then Podman), exec, end. Every step that
 * changes something is recorded in the same transaction as its audit event.
 */
export class SessionService {
  constructor(
    private readonly db: Database,
    private readonly sessions: SessionStore,
    private readonly audit: AuditStore,
    private readonly podman: PodmanClient,
    private readonly options: SessionServiceOptions,
    private readonly log: Logger,
  ) {}

  get(id: string): Session {
    const session = this.sessions.get(id);
    if (!session) throw new AppError('not_found', `no session with id "${id}"`);
    return session;
  }

  list(options: Parameters<SessionStore['list']>[0]): SessionPage {
    return this.sessions.list(options);
  }

  async create(input: CreateSessionInput, caller: Caller): Promise<Session> {
    const ttlSeconds = input.ttlSeconds ?? this.options.defaultTtlSeconds;
    if (ttlSeconds > this.options.maxTtlSeconds) {
      throw new AppError('bad_request', `ttlSeconds may be at most ${this.options.maxTtlSeconds}`, {
        issues: [{ field: 'ttlSeconds', message: `must be <= ${this.options.maxTtlSeconds}` }],
      });
    }
    const image = input.image ?? this.options.defaultImage;
    const target = await this.podman.inspectContainer(input.target);
    if (!target) throw new AppError('target_not_found', `no container named or with id "${input.target}"`);
    if (target.Config.Labels?.[LABEL_MANAGED] === 'true') {
      throw new AppError('conflict', `"${input.target}" is a debug sidecar itself; debug its target instead`);
    }
    const status = target.State.Status;
    if (!DEBUGGABLE_STATES.has(status)) {
      // Never start a sidecar next to a stopped target: Podman would silently start the target too.
      throw new AppError('target_not_running', `container "${target.Name}" is ${status}, not running`, {
        extensions: { targetState: status },
      });
    }
    const now = new Date();
    const id = randomUUID();
    const name = sidecarName(target.Name);
    this.inTransaction(() => {
      this.sessions.insertCreating({
        id,
        targetId: target.Id,
        targetName: target.Name,
        targetImage: target.ImageName ?? target.Image ?? '',
        sidecarName: name,
        sidecarImage: image,
        requestedBy: caller.principal,
        reason: input.reason ?? null,
        command: input.command ?? null,
        ttlSeconds,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
      });
      this.audit.append(
        event('session.creating', caller, id, {
          target: { id: target.Id, name: target.Name },
          sidecar: name,
          image,
          ttlSeconds,
          reason: input.reason ?? null,
          command: input.command ?? null,
        }),
      );
    });

    let sidecarId: string | null = null;
    try {
      await this.ensureImage(image);
      sidecarId = await this.podman.createContainer(
        buildSidecarSpec({ sessionId: id, name, image, target, ttlSeconds, command: input.command ?? null }),
      );
      await this.podman.startContainer(sidecarId);
    } catch (err) {
      await this.failCreation(id, sidecarId, name, err, caller);
      throw err;
    }
    this.inTransaction(() => {
      this.sessions.markActive(id, sidecarId!);
      this.audit.append(event('session.created', caller, id, { sidecar: { id: sidecarId, name } }));
    });
    this.log.info({ sessionId: id, target: target.Name, sidecar: name, principal: caller.principal }, 'session created');
    return this.get(id);
  }

  /** Ends a session and removes its sidecar. Idempotent: an ended session is returned as it is. */
  async end(id: string, caller: Caller): Promise<Session> {
    const session = this.get(id);
    if (session.state === 'creating') {
      throw new AppError('conflict', `session "${id}" is still being created; try again in a moment`);
    }
    if (session.state !== 'active') return session;
    await this.podman.removeContainer(session.sidecar.id ?? session.sidecar.name);
    this.finish(id, 'ended-by-user', caller);
    return this.get(id);
  }

  async exec(id: string, input: ExecInput, caller: Caller): Promise<ExecOutcome> {
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
        await this.podman.removeContainer(session.sidecar.id ?? session.sidecar.name).catch(() => false);
        this.finish(id, 'sidecar-exited', caller);
        throw new AppError('session_not_active', `the sidecar of session "${id}" is no longer running; the session has ended`, {
          extensions: { sessionState: 'ended' },
        });
      }
      throw err;
    }
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
      this.sessions.insertExecRun({
        sessionId: id,
        requestedBy: caller.principal,
        startedAt: startedAt.toISOString(),
        ...record,
      });
      this.audit.append(event('exec.completed', caller, id, record));
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

  /** Pulls the image if it is missing (libpod's policy=missing); a failed pull is a 502. */
  private async ensureImage(image: string): Promise<void> {
    if (await this.podman.imageExists(image)) return;
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

  private finish(id: string, reason: 'ended-by-user' | 'sidecar-exited', caller: Caller): void {
    this.inTransaction(() => {
      if (this.sessions.markEnded(id, reason, new Date().toISOString())) {
        this.audit.append(event('session.ended', caller, id, { reason }));
      }
    });
    this.log.info({ sessionId: id, reason, principal: caller.principal }, 'session ended');
  }

  private async failCreation(id: string, sidecarId: string | null, name: string, err: unknown, caller: Caller) {
    // Remove whatever Podman made, by id if we have one, else by name (create may have succeeded
    // on Podman's side even though we never saw its answer).
    let removed = false;
    try {
      removed = await this.podman.removeContainer(sidecarId ?? name);
    } catch (cleanupErr) {
      this.log.error({ err: cleanupErr, sessionId: id, sidecar: name }, 'could not remove sidecar of failed session');
    }
    const failure = err instanceof Error ? err.message : String(err);
    this.inTransaction(() => {
      this.sessions.markFailed(id, sidecarId, failure, new Date().toISOString());
      this.audit.append(event('session.failed', caller, id, { error: failure, sidecarRemoved: removed }));
    });
    this.log.warn({ err, sessionId: id }, 'session creation failed');
  }

  private inTransaction(fn: () => void): void {
    this.db.transaction(fn).immediate();
  }
}

function event(
  type: AuditEventInput['type'],
  caller: Caller,
  sessionId: string,
  data: Record<string, unknown>,
): AuditEventInput {
  return { type, actor: caller.principal, sessionId, requestId: caller.requestId, data };
}

