import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseYaml } from '../config/parse-yaml.js';
import { type Policy, compilePolicy, crossCheck } from './policy.js';
import { PolicyFileSchema } from './policy-schema.js';

export type LoadResult = { policy: Policy; problems: [] } | { policy: null; problems: string[] };

const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * Reads, parses (YAML for .yaml/.yml, JSON for .json) and validates a policy file. Every problem is
 * reported, each with the path of the offending entry; nothing is half-applied.
 */
export function loadPolicyFile(path: string, defaultImage: string): LoadResult {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_POLICY_BYTES) return failed([`${path}: larger than ${MAX_POLICY_BYTES} bytes`]);
    text = bytes.toString('utf8');
  } catch (err) {
    return failed([`${path}: cannot read: ${(err as Error).message}`]);
  }
  const sha256 = createHash('sha256').update(text).digest('hex');
  return parsePolicy(text, { source: path, sha256, defaultImage, format: formatOf(path) });
}

export function parsePolicy(
  text: string,
  meta: { source: string; sha256: string | null; defaultImage: string; format: 'yaml' | 'json' | null },
): LoadResult {
  if (meta.format === null) return failed([`${meta.source}: name the file *.yaml, *.yml or *.json`]);
  let raw: unknown;
  try {
    raw = meta.format === 'json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    return failed([`${meta.source}: not valid ${meta.format.toUpperCase()}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const parsed = PolicyFileSchema.safeParse(raw);
  const problems = [...(parsed.success ? [] : parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`)), ...crossCheck(raw)];
  if (!parsed.success || problems.length > 0) return failed(problems);
  return { policy: compilePolicy(parsed.data, meta), problems: [] };
}

function formatOf(path: string): 'yaml' | 'json' | null {
  const ext = extname(path).toLowerCase();
  return ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : null;
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(policy)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function failed(problems: string[]): LoadResult {
  return { policy: null, problems };
}
