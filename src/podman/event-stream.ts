import http from 'node:http';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import { LIBPOD_PREFIX } from './client.js';

/** One line of libpod's event stream (the fields we read). */
export interface PodmanEvent {
  status: string;
  id: string;
  type: string;
  /** Actor attributes: name, image, containerExitCode and the container's labels. */
  attributes: Record<string, string>;
  /** Unix seconds. */
  time: number;
}

export interface EventStreamHandlers {
  onEvent(event: PodmanEvent): void;
  /** Called on every (re)connection, after Podman answered 200; the place to reconcile. */
  onConnect(reconnected: boolean): void;
  onDisconnect(reason: string): void;
}

export interface EventFollower {
  readonly connected: boolean;
  stop(): Promise<void>;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 1000;

/**
 * Follows GET /events?stream=true for containers, for as long as it runs. When the stream drops it
 * reconnects with backoff (100 ms doubling to 1 s, so Podman's return is noticed within about a
 * second) and asks for `since` the last event it saw, so nothing in between is missed; handlers must
 * therefore tolerate an event twice.
 */
export function followEvents(socketPath: string, handlers: EventStreamHandlers, log: Logger): EventFollower {
  const abort = new AbortController();
  let connected = false;
  let lastTime: number | undefined;
  let current: http.ClientRequest | undefined;

  const once = () =>
    new Promise<string>((resolve) => {
      const filters = JSON.stringify({ type: ['container'] });
      const since = lastTime === undefined ? '' : `&since=${Math.max(0, lastTime - 1)}`;
      const request = http.request({
        socketPath,
        method: 'GET',
        path: `${LIBPOD_PREFIX}/events?stream=true&filters=${encodeURIComponent(filters)}${since}`,
        signal: abort.signal,
      });
      current = request;
      request.once('error', (err) => resolve(err.message));
      request.once('response', (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          resolve(`events answered ${response.statusCode}`);
          return;
        }
        const reconnected = lastTime !== undefined || everConnected;
        everConnected = true;
        connected = true;
        lastTime ??= Math.floor(Date.now() / 1000);
        handlers.onConnect(reconnected);
        const lines = createInterface({ input: response });
        // readline re-emits the response's errors (ECONNRESET when Podman goes away); unhandled,
        // that would crash the daemon.
        lines.on('error', (err) => resolve(err.message));
        lines.on('line', (line) => {
          const event = parseEvent(line);
          if (!event) return;
          lastTime = Math.max(lastTime ?? 0, event.time);
          handlers.onEvent(event);
        });
        response.once('close', () => resolve('event stream closed'));
        response.once('error', (err) => resolve(err.message));
      });
      request.end();
    });

  let everConnected = false;
  const loop = (async () => {
    let backoff = MIN_BACKOFF_MS;
    while (!abort.signal.aborted) {
      const started = Date.now();
      const reason = await once();
      if (abort.signal.aborted) break;
      if (connected) {
        connected = false;
        handlers.onDisconnect(reason);
        log.warn({ reason }, 'Podman event stream lost; reconnecting');
      }
      // A connection that lasted a while resets the backoff; failures in a row double it.
      backoff = Date.now() - started > 5000 ? MIN_BACKOFF_MS : Math.min(backoff * 2, MAX_BACKOFF_MS);
      await sleep(backoff, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  })();

  return {
    get connected() {
      return connected;
    },
    async stop() {
      abort.abort();
      current?.destroy();
      await loop;
      connected = false;
    },
  };
}

export function parseEvent(line: string): PodmanEvent | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const actor = (raw.Actor ?? {}) as { ID?: unknown; Attributes?: Record<string, unknown> };
  const id = typeof raw.id === 'string' ? raw.id : typeof actor.ID === 'string' ? actor.ID : '';
  const status = typeof raw.status === 'string' ? raw.status : typeof raw.Action === 'string' ? raw.Action : '';
  if (!id || !status) return undefined;
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(actor.Attributes ?? {})) {
    if (typeof value === 'string') attributes[key] = value;
  }
  return {
    status,
    id,
    type: typeof raw.Type === 'string' ? raw.Type : '',
    attributes,
    time: typeof raw.time === 'number' ? raw.time : Math.floor(Date.now() / 1000),
  };
}
