import { spawn } from 'node:child_process';
import type { Logger } from '../log/logger.js';

/** The variables of sd_notify(3) and sd_watchdog_enabled(3); `serve` unsets them once read. */
export const NOTIFY_ENV = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

export interface NotifySettings {
  /** NOTIFY_SOCKET: a socket path, or `@name` for an abstract socket. */
  readonly socket: string;
  /** WatchdogSec= in milliseconds when the watchdog is on for this process; else null. */
  readonly watchdogMs: number | null;
  /** Why a variable was ignored, for the log. */
  readonly problems: readonly string[];
}

/**
 * Reads sd_notify's environment. Null without NOTIFY_SOCKET (not run by systemd as Type=notify):
 * then nothing is ever sent. The watchdog is on when WATCHDOG_USEC is set and WATCHDOG_PID, if
 * set, is this process.
 */
export function notifySettings(env: Readonly<Record<string, string | undefined>>, pid: number): NotifySettings | null {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return null;
  const problems: string[] = [];
  if (!socket.startsWith('/') && !socket.startsWith('@')) {
    problems.push(`NOTIFY_SOCKET="${socket}" is neither a path nor @abstract; not notifying`);
    return { socket, watchdogMs: null, problems };
  }
  let watchdogMs: number | null = null;
  const usec = env.WATCHDOG_USEC;
  const watchdogPid = env.WATCHDOG_PID;
  if (usec !== undefined && usec !== '') {
    if (watchdogPid && watchdogPid !== String(pid)) {
      // The watchdog belongs to another process (we inherited its environment).
    } else if (!/^[1-9][0-9]{0,15}$/.test(usec)) {
      problems.push(`WATCHDOG_USEC="${usec}" is not a positive number of microseconds; no watchdog pings`);
    } else {
      watchdogMs = Number(usec) / 1000;
    }
  }
  return { socket, watchdogMs, problems };
}

export interface HealthCheck {
  /** Whether to ping the watchdog. */
  healthy: boolean;
  /** STATUS= text; sent when it changes. */
  status: string;
}

/** What the daemon tells its service manager. Every method is a no-op without NOTIFY_SOCKET. */
export interface Notifier {
  /** False without NOTIFY_SOCKET: callers can skip work whose only use is a message. */
  readonly enabled: boolean;
  /** Start-up is complete (READY=1) and what the daemon is doing (STATUS=). */
  ready(status: string): Promise<void>;
  /** Shutdown has begun (STOPPING=1); stops the watchdog. */
  stopping(status: string): Promise<void>;
  /** Pings the watchdog (WATCHDOG=1) every WatchdogSec/2 while check() says healthy. */
  startWatchdog(check: () => Promise<HealthCheck>): void;
  /** Stops the watchdog, sends what is queued and closes the socket. */
  close(): Promise<void>;
}

/** A notifier for a process not started as Type=notify. */
export const noNotifier: Notifier = {
  enabled: false,
  ready: async () => {},
  stopping: async () => {},
  startWatchdog: () => {},
  close: async () => {},
};

type Send = (message: string) => Promise<void>;
interface Transport {
  send: Send;
  close(): void;
}

/**
 * A notifier that sends datagrams to NOTIFY_SOCKET. A path is written with unix-dgram (Node has no
 * unix datagram sockets). unix-dgram copies the address with strncpy and a fixed length, so it
 * cannot reach an abstract socket (`@name`: a leading NUL and an exact length); those messages go
 * through `systemd-notify` instead. Send failures are logged, never thrown: a service manager
 * that stopped listening must not take the daemon down.
 */
export async function openNotifier(settings: NotifySettings | null, log: Logger): Promise<Notifier> {
  if (!settings) return noNotifier;
  for (const problem of settings.problems) log.warn(problem);
  if (!settings.socket.startsWith('/') && !settings.socket.startsWith('@')) return noNotifier;
  const transport = settings.socket.startsWith('@') ? systemdNotifyTransport(settings.socket) : await datagramTransport(settings.socket);

  let queue = Promise.resolve();
  let failing = false;
  const send = (message: string): Promise<void> => {
    queue = queue.then(async () => {
      try {
        await transport.send(message);
        if (failing) log.info({ socket: settings.socket }, 'sd_notify messages are delivered again');
        failing = false;
      } catch (err) {
        if (!failing) log.warn({ err, socket: settings.socket }, 'cannot send sd_notify message');
        failing = true;
      }
    });
    return queue;
  };

  let timer: NodeJS.Timeout | undefined;
  let checking = false;
  let lastStatus: string | undefined;
  let lastHealthy = true;
  const stopWatchdog = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  log.info({ socket: settings.socket, watchdogMs: settings.watchdogMs }, 'sd_notify: will report readiness to the service manager');

  return {
    enabled: true,
    async ready(status) {
      lastStatus = status;
      await send(`READY=1\nSTATUS=${oneLine(status)}`);
    },
    async stopping(status) {
      stopWatchdog();
      await send(`STOPPING=1\nSTATUS=${oneLine(status)}`);
    },
    startWatchdog(check) {
      if (settings.watchdogMs === null || timer) return;
      // sd_watchdog_enabled(3) advises pinging at half the interval.
      const everyMs = Math.max(1, Math.floor(settings.watchdogMs / 2));
      timer = setInterval(() => {
        if (checking) return; // a check slower than the interval: skip the ping, systemd will notice
        checking = true;
        check()
          .catch((err: unknown): HealthCheck => ({ healthy: false, status: `health check failed: ${(err as Error).message}` }))
          .then(async ({ healthy, status }) => {
            if (!timer) return; // stopped meanwhile
            const lines = healthy ? ['WATCHDOG=1'] : [];
            if (status !== lastStatus) lines.push(`STATUS=${oneLine(status)}`);
            lastStatus = status;
            if (healthy !== lastHealthy) {
              if (healthy) log.info({ status }, 'healthy again: watchdog pings resume');
              else log.error({ status }, 'unhealthy: watchdog pings stop; systemd restarts the service after WatchdogSec');
            }
            lastHealthy = healthy;
            if (lines.length > 0) await send(lines.join('\n'));
          })
          .finally(() => {
            checking = false;
          });
      }, everyMs);
      timer.unref();
    },
    async close() {
      stopWatchdog();
      await queue;
      transport.close();
    },
  };
}

/** STATUS= is one line of the message. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

async function datagramTransport(path: string): Promise<Transport> {
  // Loaded only when needed: without NOTIFY_SOCKET a missing native build changes nothing.
  const { createSocket } = await import('unix-dgram');
  const socket = createSocket('unix_dgram');
  // Errors come through each send's callback; an 'error' event without a listener would throw.
  socket.on('error', () => {});
  return {
    send: (message) =>
      new Promise((resolve, reject) => {
        const buf = Buffer.from(message, 'utf8');
        socket.send(buf, 0, buf.length, path, (err) => {
          if (err) reject(Object.assign(new Error(`sendto ${path}: ${errnoName(err.code)}`), { cause: err }));
          else resolve();
        });
      }),
    close: () => socket.close(),
  };
}

function systemdNotifyTransport(address: string): Transport {
  return {
    send: (message) =>
      new Promise((resolve, reject) => {
        // --pid: the message speaks for us (MAINPID=, and our pid in the credentials where it may).
        const child = spawn('systemd-notify', [`--pid=${process.pid}`, ...message.split('\n')], {
          env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', NOTIFY_SOCKET: address },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.once('error', (err) =>
          reject(new Error(`${address} is an abstract socket, which needs systemd-notify (Debian package systemd): ${err.message}`)),
        );
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`systemd-notify exited with ${code}: ${stderr.trim()}`))));
      }),
    close: () => {},
  };
}

function errnoName(code: number | undefined): string {
  const names: Record<number, string> = { [-2]: 'ENOENT', [-13]: 'EACCES', [-111]: 'ECONNREFUSED', [-11]: 'EAGAIN', [-1]: 'EPERM' };
  return code === undefined ? 'error' : (names[code] ?? `errno ${-code}`);
}
