import { PROFILES, type Profile } from '../sessions/profiles.js';
import { compileGlob } from './glob.js';
import type { PolicyFile, TargetMatcherSpec } from './policy-schema.js';

/** Profiles a rule allows when it does not list any: everything but the privileged one. */
export const UNPRIVILEGED_PROFILES: readonly Profile[] = PROFILES.filter((p) => p !== 'sysadmin');
export const DEFAULT_TOTAL_SESSIONS = 100;

interface TargetMatcher {
  readonly text: string;
  matches(target: PolicyTarget): boolean;
}

export interface Rule {
  readonly name: string;
  readonly appliesTo: (principal: string) => boolean;
  readonly allow: readonly TargetMatcher[] | null;
  readonly deny: readonly TargetMatcher[];
  readonly images: readonly string[];
  readonly profiles: readonly Profile[];
  readonly maxTtlSeconds: number | null;
  readonly maxLifetimeSeconds: number | null;
  readonly maxConcurrentSessions: number | null;
  readonly requireReason: boolean;
}

export interface Policy {
  /** Where it came from: a file path, or "built-in". */
  readonly source: string;
  readonly sha256: string | null;
  readonly rules: readonly Rule[];
  readonly maxConcurrentSessions: number;
}

export interface PolicyTarget {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * Checks what the schema cannot see, one entry at a time: rule names used twice, groups that do not
 * exist, rules that apply to no one, leases that contradict each other. It reads the raw document
 * defensively, so it also runs when the schema failed and every problem is reported in one go.
 */
export function crossCheck(raw: unknown): string[] {
  const problems: string[] = [];
  const doc = isRecord(raw) ? raw : {};
  const groups = isRecord(doc.groups) ? doc.groups : {};
  const rules = Array.isArray(doc.rules) ? doc.rules : [];
  const seen = new Set<string>();
  rules.forEach((rule: unknown, r) => {
    if (!isRecord(rule)) return;
    const at = `rules[${r}]`;
    if (typeof rule.name === 'string') {
      if (seen.has(rule.name)) problems.push(`${at}.name: "${rule.name}" is used by an earlier rule; names must be unique`);
      seen.add(rule.name);
    }
    const principals = Array.isArray(rule.principals) ? rule.principals : [];
    const memberOf = Array.isArray(rule.groups) ? rule.groups : [];
    if (principals.length === 0 && memberOf.length === 0) problems.push(`${at}: lists neither "principals" nor "groups", so it applies to no one`);
    memberOf.forEach((g: unknown, i) => {
      if (typeof g === 'string' && !Object.hasOwn(groups, g)) problems.push(`${at}.groups[${i}]: no group "${g}" in "groups"`);
    });
    if (typeof rule.maxTtlSeconds === 'number' && typeof rule.maxLifetimeSeconds === 'number' && rule.maxLifetimeSeconds < rule.maxTtlSeconds) {
      problems.push(`${at}.maxLifetimeSeconds: ${rule.maxLifetimeSeconds} is below maxTtlSeconds ${rule.maxTtlSeconds}`);
    }
  });
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Compiles a policy file that passed the schema and crossCheck(). */
export function compilePolicy(file: PolicyFile, meta: { source: string; sha256: string | null; defaultImage: string }): Policy {
  const groups = new Map<string, RegExp[]>();
  for (const [name, members] of Object.entries(file.groups ?? {})) groups.set(name, members.map(compileGlob));
  const rules: Rule[] = file.rules.map((spec) => {
    const principals = (spec.principals ?? []).map(compileGlob);
    const memberOf = (spec.groups ?? []).map((g) => groups.get(g) ?? []);
    return {
      name: spec.name,
      appliesTo: (principal: string) => principals.some((re) => re.test(principal)) || memberOf.some((g) => g.some((re) => re.test(principal))),
      allow: spec.targets?.allow ? spec.targets.allow.map(targetMatcher) : null,
      deny: (spec.targets?.deny ?? []).map(targetMatcher),
      images: (spec.images ?? ['default']).map((image) => (image === 'default' ? meta.defaultImage : image)),
      profiles: spec.profiles ?? UNPRIVILEGED_PROFILES,
      maxTtlSeconds: spec.maxTtlSeconds ?? null,
      maxLifetimeSeconds: spec.maxLifetimeSeconds ?? null,
      maxConcurrentSessions: spec.maxConcurrentSessions ?? null,
      requireReason: spec.requireReason ?? false,
    };
  });
  return {
    source: meta.source,
    sha256: meta.sha256,
    rules,
    maxConcurrentSessions: file.limits?.maxConcurrentSessions ?? DEFAULT_TOTAL_SESSIONS,
  };
}

function targetMatcher(spec: TargetMatcherSpec): TargetMatcher {
  const name = spec.name === undefined ? null : compileGlob(spec.name);
  const labels = Object.entries(spec.labels ?? {}).map(([key, value]) => [key, compileGlob(value)] as const);
  const parts = [...(spec.name === undefined ? [] : [`name ${spec.name}`]), ...Object.entries(spec.labels ?? {}).map(([k, v]) => `label ${k}=${v}`)];
  return {
    text: parts.join(', '),
    matches: (target) =>
      (name === null || name.test(target.name)) &&
      labels.every(([key, re]) => Object.hasOwn(target.labels, key) && re.test(target.labels[key]!)),
  };
}

/** The policy in force when no file is configured: anyone with a token, default image, no sysadmin. */
export function builtInPolicy(defaultImage: string): Policy {
  return compilePolicy({ version: 1, rules: [{ name: 'built-in', principals: ['*'] }] }, { source: 'built-in', sha256: null, defaultImage });
}
