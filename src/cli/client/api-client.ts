import type { z } from '@hono/zod-openapi';
import type { ContainerSchema, ExecResultSchema, SessionSchema } from '../../http/schemas.js';
import type { ClientSettings } from './client-config.js';
import { type RawResponse, send } from './transport.js';

export type SessionView = z.infer<typeof SessionSchema>;
export type ContainerView = z.infer<typeof ContainerSchema>;
export type ExecResultView = z.infer<typeof ExecResultSchema>;

/** An application/problem+json answer (or any other non-2xx), kept whole for the message. */
export class ApiProblemError extends Error {
  override name = 'ApiProblemError';
  constructor(
    readonly status: number,
    readonly problem: Record<string, unknown> & { title?: string; detail?: string },
    readonly retryAfter: string | undefined,
  ) {
    super(problem.detail ?? `the daemon answered ${status}`);
  }
}

/** No token from any source: nothing to ask the daemon with. */
export class NoTokenError extends Error {
  override name = 'NoTokenError';
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The daemon's /v1 API, as the CLI uses it. */
export class DaemonClient {
  constructor(
    private readonly settings: ClientSettings,
    private readonly userAgent: string,
  ) {}

  get url(): string {
    return this.settings.url.text;
  }

  createSession(body: Record<string, unknown>, timeoutMs: number): Promise<SessionView> {
    return this.call('POST', '/v1/sessions', body, timeoutMs);
  }

  getSession(id: string): Promise<SessionView> {
    return this.call('GET', `/v1/sessions/${encodeURIComponent(id)}`);
  }

  endSession(id: string): Promise<SessionView> {
    return this.call('DELETE', `/v1/sessions/${encodeURIComponent(id)}`, undefined, 120_000);
  }

  /** Every session in `state`, newest first, page by page. */
  async *sessions(state: 'active' | 'ended' | 'all', target?: string): AsyncGenerator<SessionView> {
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ state, limit: '500' });
      if (target !== undefined) query.set('target', target);
      if (cursor) query.set('cursor', cursor);
      const page: { items: SessionView[]; nextCursor: string | null } = await this.call('GET', `/v1/sessions?${query}`);
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

  exec(id: string, body: { command: string[]; timeoutSeconds: number }): Promise<ExecResultView> {
    // The answer comes when the command ends (or the daemon kills it at timeoutSeconds).
    return this.call('POST', `/v1/sessions/${encodeURIComponent(id)}/exec`, body, (body.timeoutSeconds + 30) * 1000);
  }

  listContainers(): Promise<ContainerView[]> {
    return this.call('GET', '/v1/containers');
  }

  private async call<T>(method: string, path: string, body?: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    const token = this.settings.token;
    if (!token) {
      throw new NoTokenError(
        `no token: pass --token, set PODMAN_DEBUGD_TOKEN or put token=... in ${this.settings.configPath} (mode 600); ` +
          'create one on the daemon\'s host with: podman-debugd token create --name NAME',
      );
    }
    const response = await send(this.settings.url, {
      method,
      path,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': this.userAgent },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs,
    });
    const parsed = parseJson(response);
    if (response.status < 200 || response.status > 299) {
      const problem = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { detail: response.text.slice(0, 300) };
      throw new ApiProblemError(response.status, problem, response.retryAfter);
    }
    return parsed as T;
  }
}

function parseJson(response: RawResponse): unknown {
  if (!/json/.test(response.contentType) || response.text === '') return undefined;
  try {
    return JSON.parse(response.text);
  } catch {
    return undefined;
  }
}
