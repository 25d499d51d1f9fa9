import { z } from '@hono/zod-openapi';
import type { App } from './app-env.js';
import { problemResponses } from './responses.js';
import { ProblemSchema } from './schemas.js';

/** What a slash command is answered with at once (Slack and Mattermost take the same shape). */
export const ChatReplySchema = z
  .object({
    response_type: z.enum(['ephemeral', 'in_channel']).openapi({ description: 'ephemeral: only the caller sees it' }),
    text: z.string().openapi({ description: 'The message (Mattermost: Markdown; Slack: the notification fallback)' }),
    blocks: z.array(z.record(z.string(), z.unknown())).optional().openapi({ description: 'Slack Block Kit blocks' }),
    replace_original: z.boolean().optional(),
  })
  .openapi('ChatReply');

export const SLACK_SECURITY = [{ slackSignature: [] }];
export const MATTERMOST_SECURITY = [{ mattermostToken: [] }];

/** The chat routes' 4xx answers; 401 is the platform's signature or token, not a bearer token. */
export function chatProblemResponses(what: string) {
  return {
    ...problemResponses(400, 413, 415, 429),
    401: {
      description: `${what}; nothing was done`,
      content: { 'application/problem+json': { schema: ProblemSchema } },
    },
  };
}

/** The security schemes of the chat routes, next to bearerAuth. */
export function registerChatSecuritySchemes(app: App): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'slackSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Slack-Signature',
    description:
      'Slack request signing: `v0=` + hex HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>` under the app\'s ' +
      'signing secret (any of those in the chatops file, for rotation). Refused (401): a missing or wrong ' +
      'signature, a timestamp more than 300 s from now, a signature already received.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'mattermostToken', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description:
      '`Token <token>`: the slash command\'s token, which Mattermost sends in this header and as the form field ' +
      '`token` (either is enough; they must agree). Compared in constant time with the tokens in the chatops file.',
  });
}
