import type { AuditStore } from '../audit/audit-store.js';
import type { CommandLimits } from '../http/command-limits.js';
import type { Logger } from '../log/logger.js';
import type { SessionService } from '../sessions/session-service.js';
import { ChatCommandService } from './chat-service.js';
import type { ChatPlatform, ChatopsSettings } from './chatops-config.js';
import { IdentityMap } from './identity-map.js';
import { MattermostTokenVerifier } from './mattermost-token.js';
import { ResponsePoster } from './response-poster.js';
import { SlackSignatureVerifier } from './slack-signature.js';

/** The chat integrations as the HTTP layer sees them; a platform left out of the file is null. */
export interface Chatops {
  readonly settings: ChatopsSettings | null;
  readonly slack: SlackSignatureVerifier | null;
  readonly mattermost: MattermostTokenVerifier | null;
  readonly service: ChatCommandService | null;
  /** Waits for chat work still running (shutdown, tests). */
  idle(): Promise<void>;
}

export interface ChatopsDeps {
  sessions: SessionService;
  audit: AuditStore;
  commandLimits: CommandLimits;
  defaultTtlSeconds: number;
  maxLifetimeSeconds: number;
  log: Logger;
}

/** Wires the chat integrations from the chatops file's settings (null: chatops off). */
export function createChatops(settings: ChatopsSettings | null, deps: ChatopsDeps): Chatops {
  if (!settings) return { settings: null, slack: null, mattermost: null, service: null, idle: async () => undefined };
  const posters: Partial<Record<ChatPlatform, ResponsePoster>> = {};
  if (settings.slack) posters.slack = new ResponsePoster(settings.slack.responseUrlHosts, { log: deps.log.child({ platform: 'slack' }) });
  if (settings.mattermost) posters.mattermost = new ResponsePoster(settings.mattermost.responseUrlHosts, { log: deps.log.child({ platform: 'mattermost' }) });
  const service = new ChatCommandService({ ...deps, identities: new IdentityMap(settings.identities), posters, settings });
  return {
    settings,
    slack: settings.slack ? new SlackSignatureVerifier(settings.slack.signingSecrets) : null,
    mattermost: settings.mattermost ? new MattermostTokenVerifier(settings.mattermost.commandTokens) : null,
    service,
    idle: () => service.idle(),
  };
}
