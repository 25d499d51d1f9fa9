import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { type ListenAddress, parseListenAddress } from './listen-address.js';
import { type PodmanSocketChoice, choosePodmanSocket } from './podman-socket.js';

/** Command-line flags of `serve` (and the subset other commands take); strings as typed. */
export interface ConfigFlags {
  listen?: string | undefined;
  podmanSocket?: string | undefined;
  db?: string | undefined;
  defaultImage?: string | undefined;
  policy?: string | undefined;
}

export interface Config {
  readonly listen: ListenAddress;
  readonly podmanSocket: PodmanSocketChoice;
  /** auto: start `podman system service` ourselves when the discovered socket does not answer. */
  readonly startPodman: 'auto' | 'never';
  readonly podmanBinary: string;
  readonly stateDir: string;
  readonly dbPath: string;
  readonly defaultImage: string;
  /** Policy file (YAML or JSON); null: the built-in policy. */
  readonly policyFile: string | null;
  /** Chatops file (YAML or JSON): Slack and Mattermost settings and chat identities; null: chatops off. */
  readonly chatopsFile: string | null;
  readonly defaultTtlSeconds: number;
  readonly maxLifetimeSeconds: number;
  readonly reconcileIntervalSeconds: number;
  readonly maxOutputBytes: number;
  readonly bodyLimitBytes: number;
  /** Most arguments in a command (exec, or a session's sidecar command). */
  readonly maxCommandArgs: number;
  /** Most bytes (UTF-8) of all a command's arguments together. */
  readonly maxCommandBytes: number;
  /** Most bytes (UTF-8) of an exec's stdin. */
  readonly maxStdinBytes: number;
  /** Requests per second each principal may make on /v1 (token bucket refill); 0: no limit. */
  readonly rateLimitPerSecond: number;
  /** Requests a principal may make at once before the per-second rate applies (bucket size). */
  readonly rateLimitBurst: number;
  /** Failed authentications one client address may make per minute before 429; 0: no limit. */
  readonly authFailuresPerMinute: number;
  /** Node's server.headersTimeout: time a client has to send the request headers. */
  readonly headersTimeoutMs: number;
  /** Node's server.requestTimeout: time a client has to send the whole request (not the answer). */
  readonly requestTimeoutMs: number;
  readonly podmanTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_IMAGE = 'docker.io/library/busybox:latest';
/** Upper bounds of the command settings; the request schemas (and so the OpenAPI document) use them. */
export const MAX_COMMAND_ARGS_CEILING = 1024;
export const MAX_STDIN_BYTES_CEILING = 16 * 1024 * 1024;
/** Defaults of the command settings, also named in the request schemas' descriptions. */
export const COMMAND_LIMIT_DEFAULTS = { maxCommandArgs: 64, maxCommandBytes: 65536, maxStdinBytes: 1048576 } as const;

// Settings arrive as strings (flags, environment); only plain decimal digits are numbers here.
const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,12}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

const schema = z.object({
  listen: z.string().default('127.0.0.1:7070'),
  podmanSocket: z.string().optional(),
  startPodman: z.enum(['auto', 'never']).default('auto'),
  podmanBinary: z.string().min(1).default('podman'),
  stateDir: z.string().optional(),
  db: z.string().min(1).optional(),
  defaultImage: z.string().min(1).max(512).default(DEFAULT_IMAGE),
  policyFile: z.string().min(1).optional(),
  chatopsFile: z.string().min(1).optional(),
  defaultTtlSeconds: int(10, 7 * 86400).default(900),
  maxLifetimeSeconds: int(10, 7 * 86400).default(14400),
  reconcileIntervalSeconds: int(1, 3600).default(30),
  maxOutputBytes: int(1024, 64 * 1024 * 1024).default(1048576),
  bodyLimitBytes: int(1024, 16 * 1024 * 1024).default(262144),
  maxCommandArgs: int(1, MAX_COMMAND_ARGS_CEILING).default(COMMAND_LIMIT_DEFAULTS.maxCommandArgs),
  maxCommandBytes: int(1, 1024 * 1024).default(COMMAND_LIMIT_DEFAULTS.maxCommandBytes),
  maxStdinBytes: int(0, MAX_STDIN_BYTES_CEILING).default(COMMAND_LIMIT_DEFAULTS.maxStdinBytes),
  rateLimitPerSecond: int(0, 100_000).default(20),
  rateLimitBurst: int(1, 100_000).default(40),
  authFailuresPerMinute: int(0, 100_000).default(60),
  headersTimeoutMs: int(1000, 600_000).default(15000),
  requestTimeoutMs: int(1000, 3_600_000).default(60000),
  podmanTimeoutMs: int(1000, 600_000).default(30000),
  shutdownGraceMs: int(0, 600_000).default(10000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The environment variable behind each setting (flags win over them). */
export const envNames: Record<keyof z.input<typeof schema>, string> = {
  listen: 'PODMAN_DEBUGD_LISTEN',
  podmanSocket: 'PODMAN_DEBUGD_PODMAN_SOCKET',
  startPodman: 'PODMAN_DEBUGD_START_PODMAN',
  podmanBinary: 'PODMAN_DEBUGD_PODMAN_BINARY',
  stateDir: 'PODMAN_DEBUGD_STATE_DIR',
  db: 'PODMAN_DEBUGD_DB',
  defaultImage: 'PODMAN_DEBUGD_DEFAULT_IMAGE',
  policyFile: 'PODMAN_DEBUGD_POLICY_FILE',
  chatopsFile: 'PODMAN_DEBUGD_CHATOPS_FILE',
  defaultTtlSeconds: 'PODMAN_DEBUGD_DEFAULT_TTL_SECONDS',
  maxLifetimeSeconds: 'PODMAN_DEBUGD_MAX_LIFETIME_SECONDS',
  reconcileIntervalSeconds: 'PODMAN_DEBUGD_RECONCILE_INTERVAL_SECONDS',
  maxOutputBytes: 'PODMAN_DEBUGD_MAX_OUTPUT_BYTES',
  bodyLimitBytes: 'PODMAN_DEBUGD_BODY_LIMIT_BYTES',
  maxCommandArgs: 'PODMAN_DEBUGD_MAX_COMMAND_ARGS',
  maxCommandBytes: 'PODMAN_DEBUGD_MAX_COMMAND_BYTES',
  maxStdinBytes: 'PODMAN_DEBUGD_MAX_STDIN_BYTES',
  rateLimitPerSecond: 'PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND',
  rateLimitBurst: 'PODMAN_DEBUGD_RATE_LIMIT_BURST',
  authFailuresPerMinute: 'PODMAN_DEBUGD_AUTH_FAILURES_PER_MINUTE',
  headersTimeoutMs: 'PODMAN_DEBUGD_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'PODMAN_DEBUGD_REQUEST_TIMEOUT_MS',
  podmanTimeoutMs: 'PODMAN_DEBUGD_PODMAN_TIMEOUT_MS',
  shutdownGraceMs: 'PODMAN_DEBUGD_SHUTDOWN_GRACE_MS',
  logLevel: 'PODMAN_DEBUGD_LOG_LEVEL',
};

export interface LoadConfigInput {
  flags?: ConfigFlags;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  uid: number;
}

/**
 * Parses the configuration once: flags over PODMAN_DEBUGD_* variables over defaults. Every problem
 * is collected and reported together; nothing falls back silently. The result is frozen.
 */
export function loadConfig({ flags = {}, env, cwd, uid }: LoadConfigInput): Config {
  const raw: Record<string, string | undefined> = {};
  for (const [key, name] of Object.entries(envNames)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  if (flags.listen !== undefined) raw.listen = flags.listen;
  if (flags.podmanSocket !== undefined) raw.podmanSocket = flags.podmanSocket;
  if (flags.db !== undefined) raw.db = flags.db;
  if (flags.defaultImage !== undefined) raw.defaultImage = flags.defaultImage;
  if (flags.policy !== undefined) raw.policyFile = flags.policy;

  const problems: string[] = [];
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      const name = envNames[key as keyof typeof envNames] ?? key;
      problems.push(`${key} (${name}): ${issue.message}`);
    }
  }
  // The checks below run even when the schema failed, so every problem is reported at once.
  const listen = parseListenAddress(raw.listen ?? '127.0.0.1:7070');
  if (typeof listen === 'string') problems.push(`listen (${envNames.listen}): ${listen}`);
  const podmanSocket = choosePodmanSocket(raw.podmanSocket, env, uid);
  if (typeof podmanSocket === 'string') problems.push(`podmanSocket (${envNames.podmanSocket}): ${podmanSocket}`);
  if (parsed.success) {
    const c = parsed.data;
    if (c.defaultTtlSeconds > c.maxLifetimeSeconds) {
      problems.push(`defaultTtlSeconds (${c.defaultTtlSeconds}) exceeds maxLifetimeSeconds (${c.maxLifetimeSeconds})`);
    }
    if (c.headersTimeoutMs > c.requestTimeoutMs) {
      problems.push(`headersTimeoutMs (${c.headersTimeoutMs}) exceeds requestTimeoutMs (${c.requestTimeoutMs})`);
    }
    if (/\s/.test(c.defaultImage)) problems.push(`defaultImage: "${c.defaultImage}" contains white space`);
  }
  if (!parsed.success || problems.length > 0 || typeof listen === 'string' || typeof podmanSocket === 'string') {
    throw new ConfigError(problems);
  }
  const c = parsed.data;

  // systemd's StateDirectory= sets STATE_DIRECTORY; it may list several paths separated by ':'.
  const systemdState = env.STATE_DIRECTORY?.split(':')[0] || undefined;
  const stateDir = resolve(cwd, c.stateDir ?? systemdState ?? 'var');
  const dbPath = c.db === ':memory:' ? ':memory:' : resolveFrom(cwd, c.db ?? join(stateDir, 'podman-debugd.db'));

  return Object.freeze({
    listen: Object.freeze(listen),
    podmanSocket: Object.freeze(podmanSocket),
    startPodman: c.startPodman,
    podmanBinary: c.podmanBinary,
    stateDir,
    dbPath,
    defaultImage: c.defaultImage,
    policyFile: c.policyFile === undefined ? null : resolveFrom(cwd, c.policyFile),
    chatopsFile: c.chatopsFile === undefined ? null : resolveFrom(cwd, c.chatopsFile),
    defaultTtlSeconds: c.defaultTtlSeconds,
    maxLifetimeSeconds: c.maxLifetimeSeconds,
    reconcileIntervalSeconds: c.reconcileIntervalSeconds,
    maxOutputBytes: c.maxOutputBytes,
    bodyLimitBytes: c.bodyLimitBytes,
    maxCommandArgs: c.maxCommandArgs,
    maxCommandBytes: c.maxCommandBytes,
    maxStdinBytes: c.maxStdinBytes,
    rateLimitPerSecond: c.rateLimitPerSecond,
    rateLimitBurst: c.rateLimitBurst,
    authFailuresPerMinute: c.authFailuresPerMinute,
    headersTimeoutMs: c.headersTimeoutMs,
    requestTimeoutMs: c.requestTimeoutMs,
    podmanTimeoutMs: c.podmanTimeoutMs,
    shutdownGraceMs: c.shutdownGraceMs,
    logLevel: c.logLevel,
  });
}

function resolveFrom(cwd: string, path: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}
