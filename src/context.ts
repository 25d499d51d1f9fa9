import { join } from 'node:path';
import { AuditStore } from './audit/audit-store.js';
import { Background } from './background.js';
import { TokenStore } from './auth/token-store.js';
import { loadChatopsFile } from './chatops/chatops-config.js';
import { type Chatops, createChatops } from './chatops/chatops.js';
import type { Config } from './config/config.js';
import { ContainerCatalog } from './containers/container-catalog.js';
import { type Database, openDatabase } from './db/database.js';
import { type MigrationResult, applyMigrations, readMigrations } from './db/migrations.js';
import { createApp } from './http/app.js';
import type { App, ReadinessReport } from './http/app-env.js';
import type { Logger } from './log/logger.js';
import { Metrics } from './metrics/metrics.js';
import { PodmanClient } from './podman/client.js';
import type { LoadResult } from './policy/load-policy.js';
import { PolicyHolder } from './policy/policy-holder.js';
import { packageRoot, packageVersion } from './package-root.js';
import { EventReactor } from './sessions/event-reactor.js';
import { LeaseKeeper } from './sessions/lease-keeper.js';
import { Reconciler } from './sessions/reconciler.js';
import { SessionService } from './sessions/session-service.js';
import { SessionStore } from './sessions/session-store.js';

export interface AppContext {
  readonly config: Config;
  readonly log: Logger;
  readonly db: Database;
  readonly migration: MigrationResult;
  readonly podman: PodmanClient;
  readonly audit: AuditStore;
  readonly tokens: TokenStore;
  readonly sessionStore: SessionStore;
  readonly sessions: SessionService;
  readonly policy: PolicyHolder;
  readonly containers: ContainerCatalog;
  readonly reconciler: Reconciler;
  /** Slack and Mattermost slash commands, as the chatops file sets them up (parts left out are null). */
  readonly chatops: Chatops;
  /** Prometheus metrics on this context's own registry (served at /metrics). */
  readonly metrics: Metrics;
  /** Lease expiry, Podman events, reconciliation: started by `serve`, not by tests that do not want it. */
  readonly background: Background;
  readonly app: App;
  readiness(): Promise<ReadinessReport>;
  /** Re-reads the policy file (SIGHUP); an invalid file leaves the old policy in force. Audited. */
  reloadPolicy(): LoadResult;
  /** Closes what the context opened: Podman connections, then the database. */
  close(): void;
}

/** Opens the database (applying migrations) and applies them; the one place that does. */
export function openMigratedDatabase(path: string): { db: Database; migration: MigrationResult } {
  const db = openDatabase(path);
  try {
    const migration = applyMigrations(db, readMigrations(join(packageRoot(), 'migrations')));
    return { db, migration };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The one place that wires the daemon's parts together. */
export function createContext(config: Config, log: Logger, podmanSocketPath = config.podmanSocket.path): AppContext {
  // The policy first: an invalid policy stops the daemon before anything is opened.
  const policy = new PolicyHolder(config.policyFile, config.defaultImage);
  // So does an invalid chatops file (ChatopsConfigError, every problem listed).
  const chatopsSettings = config.chatopsFile === null ? null : loadChatopsFile(config.chatopsFile);
  const { db, migration } = openMigratedDatabase(config.dbPath);
  // Active sessions are counted from the database when scraped; sessionStore exists by then.
  const metrics = new Metrics({ version: packageVersion(), activeSessions: () => sessionStore.idsInState('active').length });
  const podman = new PodmanClient({ socketPath: podmanSocketPath, timeoutMs: config.podmanTimeoutMs, metrics });
  const audit = new AuditStore(db);
  const tokens = new TokenStore(db);
  const sessionStore = new SessionStore(db);
  const sessions = new SessionService(db, sessionStore, audit, podman, config, policy, log.child({ component: 'sessions' }), metrics);
  const chatopsLog = log.child({ component: 'chatops' });
  const chatops = createChatops(chatopsSettings, {
    sessions,
    audit,
    commandLimits: { maxCommandArgs: config.maxCommandArgs, maxCommandBytes: config.maxCommandBytes, maxStdinBytes: config.maxStdinBytes },
    defaultTtlSeconds: config.defaultTtlSeconds,
    maxLifetimeSeconds: config.maxLifetimeSeconds,
    log: chatopsLog,
  });
  if (chatopsSettings) {
    const { source, sha256, slack, mattermost, identities } = chatopsSettings;
    chatopsLog.info({ source, sha256, slack: slack !== null, mattermost: mattermost !== null, identities: identities.length }, 'chatops enabled');
  }
  const policyLog = log.child({ component: 'policy' });
  const describePolicy = () => {
    const p = policy.current();
    return { source: p.source, sha256: p.sha256, rules: p.rules.map((r) => r.name), maxConcurrentSessions: p.maxConcurrentSessions };
  };
  audit.append({ type: 'policy.loaded', actor: null, data: { ...describePolicy(), trigger: 'start' } });
  policyLog.info(describePolicy(), 'policy in force');
  function reloadPolicy(): LoadResult {
    const result = policy.reload();
    if (result.policy) {
      audit.append({ type: 'policy.loaded', actor: null, data: { ...describePolicy(), trigger: 'reload' } });
      policyLog.info(describePolicy(), 'policy reloaded');
    } else {
      audit.append({ type: 'policy.reload-rejected', actor: null, data: { source: config.policyFile, problems: result.problems, kept: describePolicy() } });
      policyLog.error({ problems: result.problems, kept: describePolicy() }, 'policy reload rejected; the previous policy stays in force');
    }
    return result;
  }
  const containers = new ContainerCatalog(podman, sessionStore);
  const reconciler = new Reconciler(podman, sessionStore, sessions, log.child({ component: 'reconciler' }), metrics);
  const background = new Background(
    podmanSocketPath,
    new LeaseKeeper(sessionStore, sessions, log.child({ component: 'leases' })),
    new EventReactor(podman, sessionStore, sessions, log.child({ component: 'events' })),
    reconciler,
    config.reconcileIntervalSeconds,
    log.child({ component: 'background' }),
  );
  const checkDb = db.prepare('SELECT 1');

  async function readiness(): Promise<ReadinessReport> {
    const checks: Record<string, string> = {};
    try {
      checkDb.get();
      checks.database = 'ok';
    } catch (err) {
      checks.database = `failing: ${(err as Error).message}`;
    }
    try {
      await podman.ping(2000);
      checks.podman = 'ok';
    } catch (err) {
      checks.podman = `not answering on ${podmanSocketPath} (${(err as { reason?: string }).reason ?? (err as Error).message})`;
    }
    checks.reconciliation = reconciler.reconciledAt ? 'ok' : 'pending: not yet reconciled with Podman';
    checks.events = background.eventsConnected ? 'ok' : 'disconnected from the Podman event stream';
    return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
  }

  const app = createApp({
    sessions,
    containers,
    audit,
    tokens,
    readiness,
    log: log.child({ component: 'http' }),
    bodyLimitBytes: config.bodyLimitBytes,
    commandLimits: {
      maxCommandArgs: config.maxCommandArgs,
      maxCommandBytes: config.maxCommandBytes,
      maxStdinBytes: config.maxStdinBytes,
    },
    rateLimit: { perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst },
    metrics,
    authFailuresPerMinute: config.authFailuresPerMinute,
    chatops,
  });

  return {
    config,
    log,
    db,
    migration,
    podman,
    audit,
    tokens,
    sessionStore,
    sessions,
    policy,
    containers,
    reconciler,
    chatops,
    metrics,
    background,
    app,
    readiness,
    reloadPolicy,
    close() {
      podman.close();
      db.close();
    },
  };
}
