// The parts of unix-dgram (a CommonJS native module without types) that notify.ts and its tests use.
declare module 'unix-dgram' {
  import type { EventEmitter } from 'node:events';

  export interface UnixDgramSocket extends EventEmitter {
    send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error & { code?: number }) => void): void;
    /** Binds a path (the receiving end; tests use it as NOTIFY_SOCKET). Emits 'listening' or 'error'. */
    bind(path: string): void;
    close(): void;
  }

  export function createSocket(type: 'unix_dgram', listener?: (msg: Buffer) => void): UnixDgramSocket;
}
