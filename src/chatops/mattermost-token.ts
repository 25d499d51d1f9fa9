import { createHash, timingSafeEqual } from 'node:crypto';

export type TokenVerdict = { ok: true } | { ok: false; reason: 'missing' | 'mismatch' | 'conflict' };

const AUTHORIZATION = /^Token[ ]+(\S{1,512})$/;

/**
 * Checks a Mattermost slash command's token, which Mattermost sends both as the `token` form field
 * and as `Authorization: Token <token>`. Either is enough; if both are there they must agree. The
 * comparison is over SHA-256 digests with timingSafeEqual, so neither the content nor the length
 * of the configured tokens leaks through timing; every configured token is always compared.
 */
export class MattermostTokenVerifier {
  private readonly digests: Buffer[];

  constructor(tokens: readonly { reveal(): string }[]) {
    this.digests = tokens.map((t) => digest(t.reveal()));
  }

  verify(formToken: string | null, authorization: string | undefined): TokenVerdict {
    const headerToken = authorization ? (AUTHORIZATION.exec(authorization)?.[1] ?? null) : null;
    if (authorization && headerToken === null) return { ok: false, reason: 'mismatch' };
    if (formToken && headerToken && formToken !== headerToken) return { ok: false, reason: 'conflict' };
    const token = formToken || headerToken;
    if (!token) return { ok: false, reason: 'missing' };
    const given = digest(token);
    let matched = false;
    for (const expected of this.digests) {
      if (timingSafeEqual(expected, given)) matched = true;
    }
    return matched ? { ok: true } : { ok: false, reason: 'mismatch' };
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
