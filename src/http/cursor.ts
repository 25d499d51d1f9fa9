import { AppError } from '../errors.js';

/** Page cursors are opaque to clients; inside they are a row sequence number. */
export function encodeCursor(seq: number | null): string | null {
  return seq === null ? null : Buffer.from(`s${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number | null {
  if (cursor === undefined || cursor === '') return null;
  const match = /^s(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  // Node's base64url decoder skips stray characters; only the exact encoding we issue is accepted.
  if (!match || encodeCursor(Number(match[1])) !== cursor) {
    throw new AppError('bad_request', 'cursor is not one this server issued', {
      issues: [{ field: 'cursor', message: 'invalid cursor' }],
    });
  }
  return Number(match[1]);
}
