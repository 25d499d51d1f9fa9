import type { Block, ChatMessage, Text } from './chat-message.js';
import { DAEMON_CAP_NOTE, cutNote, fitOutput } from './output-fit.js';

/** Mattermost (>= 5.0) posts hold at most 16 383 characters. */
export const MATTERMOST_POST_MAX = 16_383;
/** Output shown per message, all streams together, leaving room for the rest of the post. */
const OUTPUT_BUDGET = 12_000;

export interface MattermostResponse {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
}

/**
 * Text outside code: Markdown characters are escaped, and @ gets a zero-width space so a
 * reason such as "@channel" cannot notify a whole channel.
 */
export function mattermostEscape(text: string): string {
  // A single ~ stays: ~channel is a channel link; ~~ would strike text through.
  return text.replace(/([\\`*_[\]#|<>])/g, '\\$1').replace(/~~/g, '\\~\\~').replace(/@/g, '@\u200b');
}

function markdown(text: Text): string {
  return text
    .map((p) => {
      if (typeof p === 'string') return mattermostEscape(p);
      if ('code' in p) return `\`${p.code.replace(/`/g, 'ˋ').replace(/\n/g, ' ')}\``;
      if ('bold' in p) return `**${mattermostEscape(p.bold)}**`;
      if ('time' in p) {
        const ms = Date.parse(p.time);
        return Number.isNaN(ms) ? mattermostEscape(p.time) : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
      }
      return /^[a-z0-9._-]{1,64}$/i.test(p.mention.userName) ? `@${p.mention.userName}` : mattermostEscape(p.mention.userName);
    })
    .join('');
}

function renderBlock(block: Block, budget: { left: number }): string {
  switch (block.kind) {
    case 'text':
      return markdown(block.text);
    case 'context':
      return `_${markdown(block.text)}_`;
    case 'fields':
      return ['| | |', '|:--|:--|', ...block.fields.map((f) => `| **${mattermostEscape(f.label)}** | ${markdown(f.value).replace(/\|/g, '\\|')} |`)].join('\n');
    case 'output': {
      const notes: string[] = [];
      let body: string;
      if (block.text === '') {
        body = '_(no output)_';
      } else {
        const fitted = fitOutput(block.text, Math.max(200, budget.left));
        budget.left = Math.max(0, budget.left - fitted.body.length);
        body = `\`\`\`\n${fitted.body}${fitted.body.endsWith('\n') ? '' : '\n'}\`\`\``;
        if (fitted.cut) notes.push(cutNote('Mattermost', fitted));
      }
      if (block.cappedByDaemon) notes.push(DAEMON_CAP_NOTE);
      return `**${mattermostEscape(block.label)}**\n${body}${notes.length > 0 ? `\n_${mattermostEscape(notes.join(' '))}_` : ''}`;
    }
    case 'session-actions':
      return `_End it with_ \`/debug end ${block.sessionId}\``;
  }
}

export function mattermostResponse(message: ChatMessage, options: { inChannel?: boolean } = {}): MattermostResponse {
  const budget = { left: OUTPUT_BUDGET };
  let text = message.blocks.map((b) => renderBlock(b, budget)).join('\n\n');
  if (text.length > MATTERMOST_POST_MAX) text = `${text.slice(0, MATTERMOST_POST_MAX - 1)}…`;
  return { response_type: options.inChannel ? 'in_channel' : 'ephemeral', text };
}
