import type { Scope } from '../auth/scopes.js';
import { ProblemSchema } from './schemas.js';

const descriptions: Record<number, string> = {
  400: 'Invalid input; `errors` names the fields',
  401: 'Missing, unknown, expired or revoked bearer token',
  403: 'The token lacks the scope this needs (`requiredScope`), or the session is another principal\'s',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  415: 'Content-Type is not application/json',
  429: 'Over the per-principal rate limit; Retry-After says when to retry',
  502: 'Podman refused the request or an image pull failed',
  503: 'Podman or the database is unavailable; see Retry-After',
  504: 'The command did not finish in time; partial output included',
};

type ProblemHeaders = Record<string, { description: string; schema: { type: 'integer'; minimum: number } }>;

/** Headers some problem responses carry. */
const headersOf: Partial<Record<number, ProblemHeaders>> = {
  429: { 'Retry-After': { description: 'Whole seconds until the principal\'s rate limit admits a request again', schema: { type: 'integer', minimum: 1 } } },
};

type ProblemResponse = {
  description: string;
  headers?: ProblemHeaders;
  content: { 'application/problem+json': { schema: typeof ProblemSchema } };
};

/** Shared problem+json responses, spread into every route definition. */
export function problemResponses<const S extends readonly (keyof typeof descriptions)[]>(...statuses: S) {
  const out: Record<number, ProblemResponse> = {};
  for (const status of statuses) {
    const headers = headersOf[status];
    out[status] = {
      description: descriptions[status] ?? 'Error',
      ...(headers ? { headers } : {}),
      content: { 'application/problem+json': { schema: ProblemSchema } },
    };
  }
  return out as { [K in S[number]]: ProblemResponse };
}


/** OpenAPI 3.1 lets a bearer requirement list the roles (here: scopes) an operation needs. */
export function bearerSecurity(scope: Scope) {
  return [{ bearerAuth: [scope] }];
}
