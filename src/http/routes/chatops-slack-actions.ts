import { createRoute } from '@hono/zod-openapi';
import { SlackBlockActionsSchema, formJsonSchema } from '../../chatops/chat-payloads.js';
import type { ApiDeps, App } from '../app-env.js';
import { CHATOPS_PATHS } from '../chatops-auth.js';
import { SLACK_SECURITY, chatProblemResponses } from '../chatops-schemas.js';

export const slackActionRoute = createRoute({
  operationId: 'slackAction',
  method: 'post',
  path: CHATOPS_PATHS['slack-action'],
  tags: ['chatops'],
  summary: 'A Slack button (End, Extend) on a podman-debugd message, signed by Slack',
  description:
    'Slack\'s interactivity request: the form field `payload` holds a `block_actions` JSON payload. Acknowledged ' +
    'at once with an empty 200; the outcome (the updated message, or why not) is posted to the payload\'s `response_url`.',
  security: SLACK_SECURITY,
  request: {
    body: {
      required: true,
      description: 'The form Slack posts when a button is clicked',
      content: {
        'application/x-www-form-urlencoded': {
          schema: {
            type: 'object',
            required: ['payload'],
            properties: {
              payload: {
                type: 'string',
                description: 'A block_actions payload, as JSON',
                contentMediaType: 'application/json',
                contentSchema: formJsonSchema(SlackBlockActionsSchema),
              },
            },
          },
        },
      },
    },
  },
  responses: {
    200: { description: 'Acknowledged; the outcome is posted to response_url' },
    ...chatProblemResponses('Missing, wrong, expired or replayed Slack signature'),
  },
});

export function registerSlackAction(app: App, deps: ApiDeps): void {
  app.openapi(slackActionRoute, (c) => {
    const chat = c.get('chat');
    if (chat.kind !== 'slack-action') throw new Error('chatops middleware did not run');
    deps.chatops.service!.action(chat.request, c.get('requestId'));
    return c.body(null, 200);
  });
}
