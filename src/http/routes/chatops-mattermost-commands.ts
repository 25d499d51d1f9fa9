import { createRoute } from '@hono/zod-openapi';
import { MattermostCommandFormSchema, formJsonSchema } from '../../chatops/chat-payloads.js';
import { renderChat } from '../../chatops/chat-service.js';
import type { ApiDeps, App } from '../app-env.js';
import { CHATOPS_PATHS } from '../chatops-auth.js';
import { ChatReplySchema, MATTERMOST_SECURITY, chatProblemResponses } from '../chatops-schemas.js';

export const mattermostCommandRoute = createRoute({
  operationId: 'mattermostCommand',
  method: 'post',
  path: CHATOPS_PATHS['mattermost-command'],
  tags: ['chatops'],
  summary: 'A Mattermost slash command (/debug …), with the command\'s token',
  description:
    'The same grammar, identity mapping and audit as the Slack command. Answered at once with JSON naming its ' +
    '`response_type`; work that needs Podman runs after that and its outcome is posted to `response_url`.',
  security: MATTERMOST_SECURITY,
  request: {
    body: {
      required: true,
      description: 'The form Mattermost posts for a custom slash command',
      content: { 'application/x-www-form-urlencoded': { schema: formJsonSchema(MattermostCommandFormSchema) } },
    },
  },
  responses: {
    200: { description: 'The immediate answer, shown to the caller only', content: { 'application/json': { schema: ChatReplySchema } } },
    ...chatProblemResponses('Missing or wrong Mattermost command token'),
  },
});

export function registerMattermostCommand(app: App, deps: ApiDeps): void {
  app.openapi(mattermostCommandRoute, (c) => {
    const chat = c.get('chat');
    if (chat.kind !== 'mattermost-command') throw new Error('chatops middleware did not run');
    const message = deps.chatops.service!.command(chat.request, c.get('requestId'));
    return c.json(renderChat('mattermost', message), 200);
  });
}
