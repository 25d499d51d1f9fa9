import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, type ErrorCode, type FieldIssue } from '../errors.js';
import { PodmanApiError, PodmanUnavailableError } from '../podman/errors.js';

/** The one map from error code to HTTP status and title. */
const statusOf: Record<ErrorCode, { status: ContentfulStatusCode; title: string }> = {
  bad_request: { status: 400, title: 'Bad request' },
  unauthenticated: { status: 401, title: 'Unauthenticated' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  target_not_found: { status: 404, title: 'Target container not found' },
  target_not_running: { status: 409, title: 'Target container is not running' },
  session_not_active: { status: 409, title: 'Session is not active' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  image_pull_failed: { status: 502, title: 'Image pull failed' },
  podman_error: { status: 502, title: 'Podman refused the request' },
  podman_unavailable: { status: 503, title: 'Podman is unavailable' },
  not_ready: { status: 503, title: 'Not ready' },
  exec_timeout: { status: 504, title: 'Command timed out' },
  internal: { status: 500, title: 'Internal server error' },
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PODMAN_RETRY_AFTER_SECONDS = 5;

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: FieldIssue[];
  [extension: string]: unknown;
}

export function statusFor(code: ErrorCode): ContentfulStatusCode {
  return statusOf[code].status;
}

/**
 * Turns anything thrown into an AppError. Podman's errors map here, in one place; anything unknown
 * becomes `internal` and its message stays in the log.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof PodmanUnavailableError) {
    return new AppError('podman_unavailable', 'the Podman service is not answering; try again shortly', {
      retryAfterSeconds: PODMAN_RETRY_AFTER_SECONDS,
      cause: err,
    });
  }
  if (err instanceof PodmanApiError) {
    if (err.isCommandNotRunnable) {
      // The caller's command (or image) is at fault, not Podman: a retry cannot help.
      return new AppError('bad_request', `the command cannot be run in the image: ${err.podmanMessage || err.podmanCause}`, { cause: err });
    }
    return new AppError('podman_error', `Podman answered ${err.status}: ${err.podmanMessage || err.podmanCause}`, { cause: err });
  }
  if (err instanceof HTTPException) {
    const code: ErrorCode =
      err.status === 413 ? 'payload_too_large' : err.status === 415 ? 'unsupported_media_type' : err.status === 401 ? 'unauthenticated' : 'bad_request';
    return new AppError(code, err.message || statusOf[code].title, { cause: err });
  }
  return new AppError('internal', 'an internal error occurred; the request id identifies it in the log', { cause: err });
}

export function problemBody(err: AppError, requestId: string): ProblemBody {
  const { status, title } = statusOf[err.code];
  const body: ProblemBody = {
    ...(err.extensions ?? {}),
    type: `urn:podman-debugd:problem:${err.code.replaceAll('_', '-')}`,
    title,
    status,
    detail: err.message,
    requestId,
  };
  if (err.issues) body.errors = err.issues;
  return body;
}

export function problemResponse(err: AppError, requestId: string): Response {
  const headers = new Headers({ 'content-type': PROBLEM_CONTENT_TYPE, 'x-request-id': requestId });
  if (err.retryAfterSeconds !== undefined) headers.set('retry-after', String(err.retryAfterSeconds));
  if (err.code === 'unauthenticated') headers.set('www-authenticate', 'Bearer realm="podman-debugd"');
  return new Response(JSON.stringify(problemBody(err, requestId)), { status: statusFor(err.code), headers });
}
