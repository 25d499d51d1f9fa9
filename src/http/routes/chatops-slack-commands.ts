import { createRoute } from '@hono/zod-openapi';
import { renderChat } from '../../chatops/chat-service.js';
import { SlackCommandFormSchema, formJsonSchema } from '../../chatops/chat-payloads.js';
import { slackUnescape } from '../../chatops/block-kit.js';
import type { ApiDeps, App } from '../app-env.js';
import { CHATOPS_PATHS } from '../chatops-auth.js';
import { ChatReplySchema, SLACK_SECURITY, chatProblemResponses } from '../chatops-schemas.js';

export const slackCommandRoute = createRoute({
  operationId: 'slackCommand',
  method: 'post',
  path: CHATOPS_PATHS['slack-command'],
  tags: ['chatops'],
  summary: 'A Slack slash command (/debug …), signed by Slack',
  description:
    'Answered at once (within Slack\'s 3 s) with an ephemeral message; work that needs Podman (start, run, end) ' +
    'runs after that and its outcome is posted to `response_url`. The caller acts as the principal the chatops ' +
    'file maps their workspace and user id to, with that principal\'s scopes and policy.',
  security: SLACK_SECURITY,
  request: {
    body: {
      required: true,
      description: 'The form Slack posts for a slash command',
      content: { 'application/x-www-form-urlencoded': { schema: formJsonSchema(SlackCommandFormSchema) } },
    },
  },
  responses: {
    200: { description: 'The immediate answer, shown to the caller only', content: { 'application/json': { schema: ChatReplySchema } } },
    ...chatProblemResponses('Missing, wrong, expired or replayed Slack signature'),
  },
});

export function registerSlackCommand(app: App, deps: ApiDeps): void {
  app.openapi(slackCommandRoute, (c) => {
    const chat = c.get('chat');
    if (chat.kind !== 'slack-command') throw new Error('chatops middleware did not run');
    const service = deps.chatops.service!;
    // Slack's certificate check: nothing to do but answer.
    if (chat.request.sslCheck) return c.json({ response_type: 'ephemeral' as const, text: 'ok' }, 200);
    // Slack escapes &, < and > in the text; the grammar wants what was typed.
    const message = service.command({ ...chat.request, text: slackUnescape(chat.request.text) }, c.get('requestId'));
    return c.json(renderChat('slack', message), 200);
  });
}
