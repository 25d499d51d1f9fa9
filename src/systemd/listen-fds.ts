import { readFileSync, readlinkSync } from 'node:fs';

/** sd_listen_fds(3): passed sockets start at fd 3. */
export const SD_LISTEN_FDS_START = 3;

/** The variables of the socket activation protocol; `serve` unsets them once read. */
export const LISTEN_ENV = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES'] as const;

export interface InheritedSocket {
  readonly fd: number;
  /** From LISTEN_FDNAMES (FileDescriptorName=, or the .socket unit's name); "unknown" without it. */
  readonly name: string;
}

export class SocketActivationError extends Error {
  override name = 'SocketActivationError';
}

/**
 * The listening sockets systemd (or systemd-socket-activate) passed to this process, as
 * sd_listen_fds_with_names(3) reads them: none unless LISTEN_PID is this process, then LISTEN_FDS
 * of them from fd 3 on. Malformed values are an error (a unit that passes sockets we cannot read
 * should fail loudly, not quietly listen somewhere else).
 */
export function listenFds(env: Readonly<Record<string, string | undefined>>, pid: number): InheritedSocket[] {
  const { LISTEN_PID: listenPid, LISTEN_FDS: listenCount, LISTEN_FDNAMES: listenNames } = env;
  if (listenPid === undefined || listenPid === '') return [];
  if (!/^[1-9][0-9]{0,9}$/.test(listenPid)) throw new SocketActivationError(`LISTEN_PID="${listenPid}" is not a process id`);
  // Meant for another process (we inherited the environment of one that was activated).
  if (Number(listenPid) !== pid) return [];
  if (listenCount === undefined || !/^[0-9]{1,4}$/.test(listenCount)) {
    throw new SocketActivationError(`LISTEN_FDS="${listenCount ?? ''}" is not a number of file descriptors`);
  }
  const count = Number(listenCount);
  const names = listenNames === undefined || listenNames === '' ? [] : listenNames.split(':');
  if (names.length > 0 && names.length !== count) {
    throw new SocketActivationError(`LISTEN_FDNAMES names ${names.length} sockets but LISTEN_FDS is ${count}`);
  }
  return Array.from({ length: count }, (_, i) => ({ fd: SD_LISTEN_FDS_START + i, name: names[i] || 'unknown' }));
}

/**
 * The path a passed unix socket is bound to, for the log (Node cannot tell for a socket it did not
 * bind): its inode, from /proc/self/fd, looked up in /proc/self/net/unix. Undefined when unknown.
 */
export function unixSocketPath(fd: number): string | undefined {
  try {
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
    if (!inode) return undefined;
    // Num RefCount Protocol Flags Type St Inode Path
    for (const line of readFileSync('/proc/self/net/unix', 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[6] === inode && cols[7]) return cols.slice(7).join(' ');
    }
  } catch {
    // /proc not mounted or not ours to read: the log names the fd instead.
  }
  return undefined;
}
