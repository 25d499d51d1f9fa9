import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../errors.js';
import { mentionsToken, redactTokens } from '../log/redact.js';
import type { ApiDeps, App, AppEnv } from './app-env.js';
import { requireToken } from './auth.js';
import { exceptChatops, registerChatopsAuth } from './chatops-auth.js';
import { registerChatSecuritySchemes } from './chatops-schemas.js';
import { problemResponse, toAppError } from './problem.js';
import { rateLimit } from './rate-limit.js';
import { registerCreateSession } from './routes/create-session.js';
import { registerEndSession } from './routes/end-session.js';
import { registerExecInSession } from './routes/exec-in-session.js';
import { registerExtendSession } from './routes/extend-session.js';
import { registerGetSession } from './routes/get-session.js';
import { registerHealth } from './routes/health.js';
import { registerExportAudit } from './routes/export-audit.js';
import { registerListAudit } from './routes/list-audit.js';
import { registerListContainers } from './routes/list-containers.js';
import { registerListSessions } from './routes/list-sessions.js';
import { registerMetrics } from './routes/metrics.js';
import { registerMattermostCommand } from './routes/chatops-mattermost-commands.js';
import { registerSlackAction } from './routes/chatops-slack-actions.js';
import { registerSlackCommand } from './routes/chatops-slack-commands.js';
import { registerDocsUi } from './docs-ui.js';

export const API_VERSION = '0.1.0';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Builds the HTTP application: middleware, every route, the OpenAPI document and one error handler. */
export function createApp(deps: ApiDeps): App {
  const app: App = new OpenAPIHono<AppEnv>({
    // Validation failures become the same problem+json body as every other error.
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map((issue) => ({
        field: issue.path.length > 0 ? issue.path.join('.') : '(body)',
        message: issue.message,
      }));
      const detail = `invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`;
      return problemResponse(new AppError('bad_request', detail, { issues }), c.get('requestId'));
    },
  });

  // The request line's fields are safe by construction (a sanitized request id, a principal name,
  // a token-redacted path), so it skips pino's path redaction (11 µs a line, 2 µs without; GET
  // /v1/sessions/{id} +20% req/s). The stream hook still scrubs anything token-shaped from the line.
  const requestLog = deps.log.child({}, { redact: [] });
  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    // A client's id is kept only if it is sane and no token (it is logged, audited and echoed).
    const requestId = incoming && REQUEST_ID.test(incoming) && !mentionsToken(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    // Set before the handler, so the response is built with it: a header added to a finished
    // response makes Hono rebuild it around a body stream, which @hono/node-server then has to read
    // back instead of writing the string (GET /v1/sessions/{id}: 8.7k req/s that way, 14k this way).
    c.header('x-request-id', requestId);
    const started = performance.now();
    await next();
    // Responses made outside the context (problem+json) carry it themselves; anything else gets it here.
    if (c.res.headers.get('x-request-id') !== requestId) c.header('x-request-id', requestId);
    requestLog.info(
      {
        requestId,
        principal: c.get('principal') ?? null,
        method: c.req.method,
        route: c.req.routePath,
        path: redactTokens(c.req.path),
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      },
      'request',
    );
  });

  const limitBody = bodyLimit({
    maxSize: deps.bodyLimitBytes,
    onError: (c) => {
      // The body stays unread, and @hono/node-server then closes the socket (after a short drain),
      // so say so: a keep-alive client (a proxy) would otherwise send its next request down it.
      const response = problemResponse(
        new AppError('payload_too_large', `request body exceeds ${deps.bodyLimitBytes} bytes`),
        c.get('requestId'),
      );
      response.headers.set('connection', 'close');
      return response;
    },
  });
  // GET and HEAD carry no body here (@hono/node-server never attaches one), so bodyLimit would only
  // pass them on; asking it makes the adaptor build a full WHATWG Request for every read (GET
  // /v1/sessions/{id}: 5.2k req/s with it, 8.7k without; bench/results/results.md).
  app.use('/v1/*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));
  // One instance of each, so /v1 and /metrics share the failure and rate buckets.
  const authenticate = requireToken(deps);
  const limitRate = rateLimit(deps, deps.rateLimit);
  // The chat routes authenticate with the platform's signature or token instead of a bearer token;
  // their check runs first, so the rate limit below counts the mapped chat principal.
  registerChatopsAuth(app, deps);
  app.use('/v1/*', exceptChatops(authenticate));
  app.use('/v1/*', limitRate);
  // /metrics sits where Prometheus looks by default, outside /v1, and is guarded the same way.
  app.use('/metrics', authenticate, limitRate);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token from `podman-debugd token create --name NAME`',
  });
  registerHealth(app, deps);
  registerCreateSession(app, deps);
  registerListSessions(app, deps);
  registerGetSession(app, deps);
  registerExtendSession(app, deps);
  registerEndSession(app, deps);
  registerExecInSession(app, deps);
  registerListContainers(app, deps);
  registerListAudit(app, deps);
  registerExportAudit(app, deps);
  registerMetrics(app, deps);
  registerChatSecuritySchemes(app);
  registerSlackCommand(app, deps);
  registerSlackAction(app, deps);
  registerMattermostCommand(app, deps);

  let document: unknown;
  app.get('/openapi.json', (c) => c.json((document ??= openApiDocument(app))));
  registerDocsUi(app);

  app.notFound((c) => problemResponse(new AppError('not_found', `no route for ${c.req.method} ${c.req.path}`), c.get('requestId')));
  app.onError((err, c) => {
    const appError = toAppError(err);
    const requestId = c.get('requestId') ?? randomUUID();
    if (appError.code === 'internal') {
      deps.log.error({ err, requestId }, 'unhandled error');
    } else if (appError.code === 'podman_unavailable' || appError.code === 'podman_error') {
      deps.log.warn({ err: appError.cause ?? err, requestId }, appError.message);
    }
    return problemResponse(appError, requestId);
  });
  return app;
}

export function openApiDocument(app: App) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'podman-debugd',
      version: API_VERSION,
      description:
        'Debug sidecars for shell-less Podman containers. A session runs a toolbox container in the ' +
        'target\'s PID and network namespaces; commands run in it without a shell; everything is audited.',
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    // The listen address is configurable (--listen, default 127.0.0.1:7070, or a unix socket), so the
    // only true server URL is relative: the daemon that served this document (at /openapi.json).
    servers: [{ url: '/', description: 'The daemon that serves this document' }],
    tags: [
      { name: 'sessions', description: 'Debug sessions and commands in them' },
      { name: 'containers', description: 'Containers on this host' },
      { name: 'audit', description: 'The audit trail' },
      { name: 'health', description: 'Liveness and readiness' },
      { name: 'metrics', description: 'Prometheus metrics' },
      { name: 'chatops', description: 'Slack and Mattermost slash commands (signed by the platform, not bearer tokens)' },
    ],
  });
}
