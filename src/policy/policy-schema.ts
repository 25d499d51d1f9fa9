import { z } from 'zod';
import { PROFILES } from '../sessions/profiles.js';
import { compileGlob } from './glob.js';

/**
 * The policy file, as operators write it (YAML or JSON). Unknown keys are errors: a typo in a
 * security policy must never pass silently. See examples/policy.yaml for a documented example.
 */
const seconds = z.number().int().min(10).max(7 * 86400);
const nonEmpty = z.string().trim().min(1).max(512);
const glob = (inner: z.ZodString) =>
  inner.superRefine((pattern, ctx) => {
    try {
      compileGlob(pattern);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

const TargetMatcherSchema = z
  .strictObject({
    /** Glob over the container's name. */
    name: glob(nonEmpty).optional(),
    /** Every listed label must be present; values are globs ("*" = any value). */
    labels: z.record(z.string().min(1).max(256), glob(z.string().max(512))).optional(),
  })
  .refine((m) => m.name !== undefined || (m.labels !== undefined && Object.keys(m.labels).length > 0), {
    message: 'a target matcher needs "name" or at least one entry in "labels"',
  });

const RuleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use letters, digits, ".", "_", "-" (at most 64)'),
  description: z.string().max(1024).optional(),
  /** Token names or chat identities (globs allowed) this rule applies to. */
  principals: z.array(glob(nonEmpty)).optional(),
  /** Groups (from `groups`) this rule applies to. */
  groups: z.array(nonEmpty).optional(),
  targets: z
    .strictObject({
      /** Omitted: every target. Empty: none, a rule that only denies. */
      allow: z.array(TargetMatcherSchema).optional(),
      /** A match here refuses the session, whatever any rule allows. */
      deny: z.array(TargetMatcherSchema).optional(),
    })
    .optional(),
  /** Exact image references or digests; "default" is the daemon's default image. Omitted: ["default"]. */
  images: z.array(nonEmpty.regex(/^\S+$/, 'an image reference has no spaces')).min(1).optional(),
  /** Omitted: every profile except sysadmin. */
  profiles: z.array(z.enum(PROFILES)).min(1).optional(),
  maxTtlSeconds: seconds.optional(),
  maxLifetimeSeconds: seconds.optional(),
  /** Live (creating or active) sessions one principal may hold. Omitted: no per-principal cap. */
  maxConcurrentSessions: z.number().int().min(1).max(10_000).optional(),
  requireReason: z.boolean().optional(),
});

export const PolicyFileSchema = z.strictObject({
  version: z.literal(1),
  limits: z
    .strictObject({
      /** Live sessions on this host, all principals together. */
      maxConcurrentSessions: z.number().int().min(1).max(10_000).optional(),
    })
    .optional(),
  /** Group name -> members (token names or chat identities; globs allowed). */
  groups: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use letters, digits, ".", "_", "-"'), z.array(glob(nonEmpty))).optional(),
  rules: z.array(RuleSchema).max(1000),
});

export type PolicyFile = z.infer<typeof PolicyFileSchema>;
export type RuleSpec = z.infer<typeof RuleSchema>;
export type TargetMatcherSpec = z.infer<typeof TargetMatcherSchema>;
