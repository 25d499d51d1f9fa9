import { z } from '@hono/zod-openapi';
import { COMMAND_LIMIT_DEFAULTS, MAX_COMMAND_ARGS_CEILING, MAX_STDIN_BYTES_CEILING } from '../config/config.js';
import { DEFAULT_PROFILE, PROFILES, PROFILE_DESCRIPTIONS } from '../sessions/profiles.js';

// Names and ids as Podman accepts them; anything else is refused before it reaches Podman.
const containerRef = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a container name or id');
const imageRef = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\/:@+-]*$/, 'must be an image reference such as docker.io/library/busybox:latest');
const argvItem = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => !s.includes('\0'), 'must not contain NUL');
// Only the hard ceilings here: the configured caps (PODMAN_DEBUGD_MAX_COMMAND_ARGS, _MAX_COMMAND_BYTES,
// _MAX_STDIN_BYTES) are checked right after validation (http/command-limits.ts).
const argv = z.array(argvItem).min(1).max(MAX_COMMAND_ARGS_CEILING);
const argvLimits =
  `by default at most ${COMMAND_LIMIT_DEFAULTS.maxCommandArgs} arguments of ${COMMAND_LIMIT_DEFAULTS.maxCommandBytes} bytes ` +
  '(UTF-8) in all (PODMAN_DEBUGD_MAX_COMMAND_ARGS, PODMAN_DEBUGD_MAX_COMMAND_BYTES)';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .openapi('Problem');

const ContainerRefSchema = z.object({ id: z.string(), name: z.string(), image: z.string() });

export const SessionSchema = z
  .object({
    id: z.string().openapi({ example: '0b0ba3b6-8a3e-4d3c-9c7a-1f7c0b9d2e11' }),
    state: z.enum(['creating', 'active', 'ended', 'failed']),
    target: ContainerRefSchema,
    sidecar: z.object({ id: z.string().nullable(), name: z.string(), image: z.string() }),
    requestedBy: z.string(),
    reason: z.string().nullable(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    expiresAt: z.string().openapi({ format: 'date-time', description: 'End of the lease; PATCH extends it' }),
    hardExpiresAt: z.string().openapi({ format: 'date-time', description: 'createdAt + maxLifetimeSeconds; no lease passes it' }),
    maxLifetimeSeconds: z.number().int(),
    profile: z.enum(PROFILES),
    endedAt: z.string().nullable().openapi({ format: 'date-time' }),
    endReason: z.enum(['ended-by-user', 'sidecar-exited', 'expired', 'target-exited', 'lost']).nullable(),
    attachCommand: z.string().openapi({ example: 'podman exec -it debug-app-x1y2z3 sh' }),
  })
  .openapi('Session');

export const CreateSessionSchema = z
  .object({
    target: containerRef.openapi({ description: 'Name or id of the container to debug', example: 'app' }),
    image: imageRef.optional().openapi({ description: 'Toolbox image; the configured default if omitted' }),
    ttlSeconds: z.number().int().min(1).max(7 * 86400).optional().openapi({ description: 'Lease in seconds (default 900)' }),
    maxLifetimeSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86400)
      .optional()
      .openapi({ description: 'Hard lifetime: how far PATCH may extend the lease (default: ttlSeconds)' }),
    profile: z
      .enum(PROFILES)
      .optional()
      .openapi({ description: `Powers of the sidecar (default ${DEFAULT_PROFILE}): ${PROFILES.map((p) => `${p}: ${PROFILE_DESCRIPTIONS[p]}`).join('; ')}` }),
    reason: z.string().max(1000).optional().openapi({ description: 'Why, for the audit trail' }),
    command: argv.optional().openapi({ description: `Sidecar command instead of the keepalive sleep; ${argvLimits}` }),
  })
  .strict()
  .openapi('CreateSession');

export const ExtendSessionSchema = z
  .object({
    ttlSeconds: z.number().int().min(1).max(7 * 86400).openapi({ description: 'New lease, counted from now' }),
  })
  .strict()
  .openapi('ExtendSession');

export const SessionIdParamSchema = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }),
});

const cursor = z.string().max(64).optional().openapi({ description: 'nextCursor of the previous page' });
const limit = z.coerce.number().int().min(1).max(500).default(50);

export const ListSessionsQuerySchema = z.object({
  state: z.enum(['active', 'ended', 'all']).default('all'),
  target: containerRef.optional().openapi({ description: 'Target name or id' }),
  limit,
  cursor,
});

export const SessionPageSchema = z
  .object({ items: z.array(SessionSchema), nextCursor: z.string().nullable() })
  .openapi('SessionPage');

export const ExecRequestSchema = z
  .object({
    command: argv.openapi({ description: `argv; run without a shell; ${argvLimits}`, example: ['ps'] }),
    timeoutSeconds: z.number().int().min(1).max(300).default(30),
    stdin: z
      .string()
      .max(MAX_STDIN_BYTES_CEILING)
      .optional()
      .openapi({ description: `Written to the command's stdin, then closed; by default at most ${COMMAND_LIMIT_DEFAULTS.maxStdinBytes} bytes (UTF-8) (PODMAN_DEBUGD_MAX_STDIN_BYTES)` }),
  })
  .strict()
  .openapi('ExecRequest');

export const ExecResultSchema = z
  .object({
    exitCode: z.number().int(),
    stdout: z.string(),
    stderr: z.string(),
    stdoutTruncated: z.boolean(),
    stderrTruncated: z.boolean(),
    durationMs: z.number().int(),
  })
  .openapi('ExecResult');

export const ContainerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    image: z.string(),
    state: z.string(),
    pod: z.string().nullable(),
    activeSessions: z.number().int(),
  })
  .openapi('Container');

export const AuditEventSchema = z
  .object({
    seq: z.number().int(),
    at: z.string().openapi({ format: 'date-time' }),
    type: z.string(),
    actor: z.string().nullable(),
    sessionId: z.string().nullable(),
    requestId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    prevHash: z.string().openapi({ description: 'hash of the previous event (64 zeros for the first)' }),
    hash: z.string().openapi({ description: 'SHA-256(prevHash || canonical JSON of the event)' }),
  })
  .openapi('AuditEvent');

export const AuditQuerySchema = z.object({
  sessionId: z.string().min(1).max(64).optional(),
  limit,
  cursor,
});

export const AuditPageSchema = z
  .object({ items: z.array(AuditEventSchema), nextCursor: z.string().nullable() })
  .openapi('AuditPage');

export const HealthSchema = z
  .object({ status: z.enum(['ok']), checks: z.record(z.string(), z.string()).optional() })
  .openapi('Health');
