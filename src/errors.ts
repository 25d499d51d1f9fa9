/**
 * One error model for the whole daemon. Anything that should reach a client as a 4xx/5xx is an
 * AppError with a machine code; the HTTP layer maps the code to a status in one place
 * (http/problem.ts). Anything else is an internal error and becomes a 500 without its message.
 */
export const errorCodes = [
  'bad_request',
  'unauthenticated',
  'forbidden',
  'not_found',
  'target_not_found',
  'target_not_running',
  'session_not_active',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'image_pull_failed',
  'podman_error',
  'podman_unavailable',
  'exec_timeout',
  'not_ready',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface FieldIssue {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  /** Extra members for the problem+json body (e.g. partial exec output). */
  extensions?: Record<string, unknown>;
  /** Validation problems, one per field. */
  issues?: FieldIssue[];
  /** Seconds a client should wait before retrying (Retry-After). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly extensions: Record<string, unknown> | undefined;
  readonly issues: FieldIssue[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail: string, options: AppErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.extensions = options.extensions;
    this.issues = options.issues;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
