import { CHAT_ID, type ChatPlatform, type IdentityRule } from './chatops-config.js';

/** Who typed a chat command, as the platform says (signed or token-checked by then). */
export interface ChatUser {
  platform: ChatPlatform;
  teamId: string;
  userId: string;
  userName: string;
  channelId: string;
  channelName: string;
}

/** A chat user's principal and scopes: the same names, policy and scope checks as API tokens. */
export interface ChatPrincipal {
  principal: string;
  scopes: ReadonlySet<string>;
}

export function defaultPrincipal(platform: ChatPlatform, teamId: string, userId: string): string {
  return `${platform}:${teamId}:${userId}`;
}

/**
 * Maps (platform, team id, user id) to a principal, from the chatops file's identities: an exact
 * user entry first, then a whole-team entry (userId "*"), whose users are each their own principal.
 */
export class IdentityMap {
  private readonly exact = new Map<string, ChatPrincipal>();
  private readonly teams = new Map<string, ReadonlySet<string>>();

  constructor(rules: readonly IdentityRule[]) {
    for (const rule of rules) {
      if (rule.userId === '*') {
        this.teams.set(`${rule.platform} ${rule.teamId}`, new Set(rule.scopes));
      } else {
        this.exact.set(`${rule.platform} ${rule.teamId} ${rule.userId}`, {
          principal: rule.principal ?? defaultPrincipal(rule.platform, rule.teamId, rule.userId),
          scopes: new Set(rule.scopes),
        });
      }
    }
  }

  resolve(platform: ChatPlatform, teamId: string, userId: string): ChatPrincipal | null {
    if (!CHAT_ID.test(teamId) || !CHAT_ID.test(userId)) return null;
    const exact = this.exact.get(`${platform} ${teamId} ${userId}`);
    if (exact) return exact;
    const team = this.teams.get(`${platform} ${teamId}`);
    return team ? { principal: defaultPrincipal(platform, teamId, userId), scopes: team } : null;
  }
}
