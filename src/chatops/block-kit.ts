import { type Block, type ChatMessage, EXTEND_SECONDS, type Text } from './chat-message.js';
import { DAEMON_CAP_NOTE, cutNote, fitOutput } from './output-fit.js';

/** Slack's Block Kit limits (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  fieldsPerSection: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonValue: 2000,
  /** Slack refuses messages whose blocks are much larger than this in all (msg_blocks_too_long). */
  outputPerMessage: 6000,
} as const;

export const SLACK_ACTION_END = 'podman_debugd_end';
export const SLACK_ACTION_EXTEND = 'podman_debugd_extend';

export type SlackBlock = Record<string, unknown>;

export interface SlackResponse {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  blocks: SlackBlock[];
  replace_original?: boolean;
}

/** &, < and > are the three characters Slack wants escaped in mrkdwn and plain text. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack escapes &, < and > in a slash command's text; the grammar wants what the user typed. */
export function slackUnescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function mrkdwn(text: Text): string {
  return text
    .map((p) => {
      if (typeof p === 'string') return slackEscape(p);
      if ('code' in p) return `\`${slackEscape(p.code.replace(/`/g, 'ˋ').replace(/\n/g, ' '))}\``;
      if ('bold' in p) return `*${slackEscape(p.bold.replace(/\*/g, '∗'))}*`;
      if ('time' in p) {
        const ms = Date.parse(p.time);
        const fallback = Number.isNaN(ms) ? p.time : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
        return Number.isNaN(ms) ? slackEscape(p.time) : `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback}>`;
      }
      return /^[A-Z0-9]{2,32}$/.test(p.mention.userId) ? `<@${p.mention.userId}>` : slackEscape(`@${p.mention.userName}`);
    })
    .join('');
}

/** Cuts a string to `max` characters (code points), ending with … when cut. */
function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, SLACK_LIMITS.sectionText) } };
}

function context(text: string): SlackBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(text, SLACK_LIMITS.sectionText) }] };
}

function renderBlock(block: Block, outputBudget: { left: number }): SlackBlock[] {
  switch (block.kind) {
    case 'text':
      return [section(mrkdwn(block.text))];
    case 'context':
      return [context(mrkdwn(block.text))];
    case 'fields':
      return [
        {
          type: 'section',
          fields: block.fields.slice(0, SLACK_LIMITS.fieldsPerSection).map((f) => ({
            type: 'mrkdwn',
            text: clip(`*${slackEscape(f.label)}*\n${mrkdwn(f.value)}`, SLACK_LIMITS.fieldText),
          })),
        },
      ];
    case 'output': {
      const head = `*${slackEscape(block.label)}*\n`;
      const notes: string[] = [];
      let body: string;
      if (block.text === '') {
        body = '_(no output)_';
      } else {
        const budget = Math.max(200, Math.min(SLACK_LIMITS.sectionText - head.length - 6, outputBudget.left));
        const fitted = fitOutput(block.text, budget, slackEscape);
        outputBudget.left = Math.max(0, outputBudget.left - fitted.body.length);
        body = `\`\`\`${fitted.body}\`\`\``;
        if (fitted.cut) notes.push(cutNote('Slack', fitted));
      }
      if (block.cappedByDaemon) notes.push(DAEMON_CAP_NOTE);
      const out = [section(head + body)];
      if (notes.length > 0) out.push(context(slackEscape(notes.join(' '))));
      return out;
    }
    case 'session-actions':
      return [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: SLACK_ACTION_END,
              text: { type: 'plain_text', text: 'End' },
              style: 'danger',
              value: block.sessionId.slice(0, SLACK_LIMITS.buttonValue),
              confirm: {
                title: { type: 'plain_text', text: 'End this session?' },
                text: { type: 'mrkdwn', text: clip(`The sidecar on \`${slackEscape(block.target)}\` is removed.`, 300) },
                confirm: { type: 'plain_text', text: 'End it' },
                deny: { type: 'plain_text', text: 'Keep it' },
              },
            },
            {
              type: 'button',
              action_id: SLACK_ACTION_EXTEND,
              text: { type: 'plain_text', text: `Extend (+${EXTEND_SECONDS / 60} min)` },
              value: block.sessionId.slice(0, SLACK_LIMITS.buttonValue),
            },
          ],
        },
      ];
  }
}

/** A message as Slack's response_url and slash command answers take it. */
export function slackResponse(message: ChatMessage, options: { inChannel?: boolean; replaceOriginal?: boolean } = {}): SlackResponse {
  const budget = { left: SLACK_LIMITS.outputPerMessage };
  let blocks = message.blocks.flatMap((b) => renderBlock(b, budget));
  if (blocks.length > SLACK_LIMITS.blocksPerMessage) {
    const dropped = blocks.length - (SLACK_LIMITS.blocksPerMessage - 1);
    blocks = [...blocks.slice(0, SLACK_LIMITS.blocksPerMessage - 1), context(`${dropped} more blocks did not fit in one Slack message.`)];
  }
  const response: SlackResponse = {
    response_type: options.inChannel ? 'in_channel' : 'ephemeral',
    text: clip(message.summary, SLACK_LIMITS.sectionText),
    blocks,
  };
  if (options.replaceOriginal !== undefined) response.replace_original = options.replaceOriginal;
  return response;
}
