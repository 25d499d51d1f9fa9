import { TOKEN_PREFIX } from '../auth/token-store.js';

/** Something shaped like an API token: the prefix and enough token characters to matter. */
const TOKEN_LIKE = new RegExp(`${TOKEN_PREFIX}[A-Za-z0-9_-]{8,}`, 'gi');
const HAS_PREFIX = new RegExp(TOKEN_PREFIX, 'i');

export const REDACTED = '[redacted]';

/** Replaces anything shaped like an API token in text meant for logs or the audit trail. */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_LIKE, `${TOKEN_PREFIX}${REDACTED}`);
}

/** True if text carries the token prefix anywhere: such a value is never echoed, logged or stored. */
export function mentionsToken(text: string): boolean {
  return HAS_PREFIX.test(text);
}
