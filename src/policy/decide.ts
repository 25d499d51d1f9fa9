import type { Profile } from '../sessions/profiles.js';
import type { Policy, PolicyTarget, Rule } from './policy.js';

/** What a caller asks for, with the daemon's defaults not yet applied to the lease. */
export interface SessionRequest {
  principal: string;
  target: PolicyTarget;
  /** The image that will run (the default image already substituted). */
  image: string;
  profile: Profile;
  ttlSeconds: number | undefined;
  maxLifetimeSeconds: number | undefined;
  /**
   * A hard lifetime the front end would like when the caller named none (chat asks for room to
   * Extend); unlike maxLifetimeSeconds it is fitted to the rule, never refused.
   */
  preferredMaxLifetimeSeconds?: number | undefined;
  reason: string | undefined;
}

/** Live (creating or active) sessions right now. */
export interface SessionUsage {
  byPrincipal: number;
  total: number;
}

export type DenialReason =
  | 'no-rule'
  | 'target-denied'
  | 'target-not-allowed'
  | 'image-not-allowed'
  | 'profile-not-allowed'
  | 'ttl-too-long'
  | 'lifetime-too-long'
  | 'reason-required'
  | 'principal-session-limit'
  | 'total-session-limit';

export type Decision =
  | { allowed: true; rule: string; ttlSeconds: number; maxLifetimeSeconds: number }
  | { allowed: false; rule: string | null; reason: DenialReason; detail: string };

interface Refusal {
  reason: DenialReason;
  detail: string;
}

/**
 * Decides whether a session may be created. A target deny in any rule that applies to the caller
 * wins; otherwise the first applicable rule (in file order) that allows every part of the request
 * grants it. A refusal names the rule and the part it refused.
 */
export function decide(policy: Policy, request: SessionRequest, usage: SessionUsage, defaults: { ttlSeconds: number }): Decision {
  const unknown = refuseUnknownPrincipal(policy, request.principal);
  if (unknown) return unknown;
  const applicable = policy.rules.filter((rule) => rule.appliesTo(request.principal));
  for (const rule of applicable) {
    const hit = rule.deny.find((m) => m.matches(request.target));
    if (hit) return deny(rule.name, 'target-denied', `policy rule "${rule.name}" denies target "${request.target.name}" (${hit.text})`);
  }
  if (usage.total >= policy.maxConcurrentSessions) {
    return deny(
      'limits.maxConcurrentSessions',
      'total-session-limit',
      `this host already has ${usage.total} live debug sessions, the most the policy allows (limits.maxConcurrentSessions = ${policy.maxConcurrentSessions}); end one first`,
    );
  }
  const refusals: { rule: Rule; refusal: Refusal }[] = [];
  for (const rule of applicable) {
    const outcome = evaluateRule(rule, request, usage, defaults);
    if ('allowed' in outcome) return outcome;
    refusals.push({ rule, refusal: outcome });
  }
  const first = refusals[0]!;
  const detail =
    refusals.length === 1
      ? `policy rule "${first.rule.name}" refuses this: ${first.refusal.detail}`
      : `no policy rule allows this: ${refusals.map((r) => `rule "${r.rule.name}": ${r.refusal.detail}`).join('; ')}`;
  return deny(first.rule.name, first.refusal.reason, detail);
}

/** The refusal for a principal no rule applies to; null when some rule does. Needs no target. */
export function refuseUnknownPrincipal(policy: Policy, principal: string): Extract<Decision, { allowed: false }> | null {
  if (policy.rules.some((rule) => rule.appliesTo(principal))) return null;
  return { allowed: false, rule: null, reason: 'no-rule', detail: `no policy rule applies to principal "${principal}" (policy: ${policy.source})` };
}

function evaluateRule(rule: Rule, request: SessionRequest, usage: SessionUsage, defaults: { ttlSeconds: number }): Decision | Refusal {
  if (rule.allow !== null && rule.allow.length === 0) {
    return { reason: 'target-not-allowed', detail: 'it only denies (its targets.allow is empty)' };
  }
  if (rule.allow !== null && !rule.allow.some((m) => m.matches(request.target))) {
    return { reason: 'target-not-allowed', detail: `target "${request.target.name}" matches none of ${rule.allow.map((m) => `(${m.text})`).join(', ')}` };
  }
  if (!rule.images.includes(request.image)) {
    return { reason: 'image-not-allowed', detail: `image "${request.image}" is not allowed (allowed: ${rule.images.join(', ')})` };
  }
  if (!rule.profiles.includes(request.profile)) {
    return { reason: 'profile-not-allowed', detail: `profile "${request.profile}" is not allowed (allowed: ${rule.profiles.join(', ')})` };
  }
  // A lease the caller did not ask for is fitted to the rule; one they asked for is checked.
  const ttlSeconds = request.ttlSeconds ?? Math.min(defaults.ttlSeconds, rule.maxTtlSeconds ?? Infinity);
  if (rule.maxTtlSeconds !== null && ttlSeconds > rule.maxTtlSeconds) {
    return { reason: 'ttl-too-long', detail: `ttlSeconds ${ttlSeconds} is above its maximum of ${rule.maxTtlSeconds}` };
  }
  const fitted = Math.max(ttlSeconds, Math.min(request.preferredMaxLifetimeSeconds ?? ttlSeconds, rule.maxLifetimeSeconds ?? Infinity));
  const lifetime = request.maxLifetimeSeconds ?? fitted;
  if (rule.maxLifetimeSeconds !== null && lifetime > rule.maxLifetimeSeconds) {
    return { reason: 'lifetime-too-long', detail: `maxLifetimeSeconds ${lifetime} is above its maximum of ${rule.maxLifetimeSeconds}` };
  }
  if (rule.requireReason && !request.reason?.trim()) {
    return { reason: 'reason-required', detail: 'a reason is required; say why you are debugging (field "reason")' };
  }
  if (rule.maxConcurrentSessions !== null && usage.byPrincipal >= rule.maxConcurrentSessions) {
    return {
      reason: 'principal-session-limit',
      detail: `"${request.principal}" already has ${usage.byPrincipal} live sessions, its maximum of ${rule.maxConcurrentSessions}; end one first`,
    };
  }
  return { allowed: true, rule: rule.name, ttlSeconds, maxLifetimeSeconds: lifetime };
}

function deny(rule: string | null, reason: DenialReason, detail: string): Decision {
  return { allowed: false, rule, reason, detail };
}
