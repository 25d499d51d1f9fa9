/**
 * Shell-style globs for container names, principals and label values: `*` is any run of
 * characters, `?` one character, `[abc]` / `[a-z]` / `[!abc]` a class. Everything else is literal,
 * and a glob matches the whole string. No braces, no `**`: names have no path separators.
 */
export function compileGlob(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') {
      source += '.*';
    } else if (ch === '?') {
      source += '.';
    } else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) throw new GlobError(`unclosed "[" in "${glob}"`);
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      if (body === '') throw new GlobError(`empty class in "${glob}"`);
      source += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else {
      source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  try {
    return new RegExp(`^${source}$`, 's');
  } catch {
    throw new GlobError(`"${glob}" is not a valid glob`);
  }
}

export class GlobError extends Error {
  override name = 'GlobError';
}

export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}
