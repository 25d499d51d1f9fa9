import type { ExecOutcome } from '../sessions/session-service.js';
import type { Session } from '../sessions/session.js';
import { usageLines } from './command-grammar.js';

/**
 * A chat message, independent of the platform: block-kit.ts renders it for Slack, mattermost-markdown.ts
 * for Mattermost. Text is a list of pieces so each renderer can escape user input, format times
 * and mention users its own way.
 */
export type Piece = string | { code: string } | { bold: string } | { time: string } | { mention: ChatUserRef };
export type Text = Piece[];

export interface ChatUserRef {
  userId: string;
  userName: string;
}

export type Block =
  | { kind: 'text'; text: Text }
  | { kind: 'fields'; fields: Array<{ label: string; value: Text }> }
  /** Command output; the renderer cuts it to the platform's limits and says so. */
  | { kind: 'output'; label: string; text: string; cappedByDaemon: boolean }
  | { kind: 'context'; text: Text }
  /** End and Extend buttons for a session (Slack); a hint to the commands elsewhere. */
  | { kind: 'session-actions'; sessionId: string; target: string };

export interface ChatMessage {
  /** Plain-text summary: the notification text, and what screen readers announce. */
  summary: string;
  blocks: Block[];
}

export const EXTEND_SECONDS = 15 * 60;

export function textMessage(...text: Piece[]): ChatMessage {
  return { summary: plain(text), blocks: [{ kind: 'text', text }] };
}

export function plain(text: Text): string {
  return text
    .map((p) => (typeof p === 'string' ? p : 'code' in p ? p.code : 'bold' in p ? p.bold : 'time' in p ? p.time : `@${p.mention.userName}`))
    .join('');
}

export function helpMessage(problem: string | undefined, command: string): ChatMessage {
  const lines = usageLines(command);
  const blocks: Block[] = [];
  if (problem) blocks.push({ kind: 'text', text: [problem] });
  blocks.push({ kind: 'text', text: [{ bold: 'How to use it' }] });
  for (const line of lines) {
    const colon = line.indexOf(': ');
    blocks.push({ kind: 'text', text: colon > 0 && line.startsWith(command) ? [{ code: line.slice(0, colon) }, line.slice(colon)] : [line] });
  }
  return { summary: problem ?? `${command}: debug sidecars for containers`, blocks };
}

function sessionFields(session: Session, requester: Text): Array<{ label: string; value: Text }> {
  return [
    { label: 'Target', value: [{ code: session.target.name }] },
    { label: 'Sidecar', value: [{ code: session.sidecar.name }] },
    { label: 'Image', value: [{ code: session.sidecar.image }] },
    { label: 'Profile', value: [session.profile] },
    { label: 'Expires', value: [{ time: session.expiresAt }, ' (at the latest ', { time: session.hardExpiresAt }, ')'] },
    { label: 'Requested by', value: requester },
    { label: 'Reason', value: [session.reason ?? '(none given)'] },
  ];
}

export function sessionStartedMessage(session: Session, requester: ChatUserRef, note?: string): ChatMessage {
  const blocks: Block[] = [
    { kind: 'text', text: [{ bold: `Debug session started on ${session.target.name}` }, note ? ` ${note}` : ''] },
    { kind: 'fields', fields: sessionFields(session, [{ mention: requester }, ` (${session.requestedBy})`]) },
    { kind: 'context', text: ['Session ', { code: session.id }, ' · on the host: ', { code: session.attachCommand }] },
    { kind: 'session-actions', sessionId: session.id, target: session.target.name },
  ];
  return { summary: `Debug session started on ${session.target.name} (${session.sidecar.name}), expires ${session.expiresAt}`, blocks };
}

export function sessionExtendedMessage(session: Session, requester: ChatUserRef, atHardLimit: boolean): ChatMessage {
  const message = sessionStartedMessage(session, requester);
  message.blocks[0] = {
    kind: 'text',
    text: [
      { bold: `Debug session on ${session.target.name} extended` },
      ` until `,
      { time: session.expiresAt },
      atHardLimit ? ': that is its hard lifetime, it cannot be extended further.' : '.',
    ],
  };
  message.summary = `Debug session on ${session.target.name} extended until ${session.expiresAt}`;
  return message;
}

export function sessionEndedMessage(session: Session, by: ChatUserRef): ChatMessage {
  return {
    summary: `Debug session on ${session.target.name} ended; sidecar ${session.sidecar.name} removed`,
    blocks: [
      { kind: 'text', text: [{ bold: `Debug session on ${session.target.name} ended` }, ' by ', { mention: by }, '; its sidecar ', { code: session.sidecar.name }, ' is removed.'] },
      { kind: 'context', text: ['Session ', { code: session.id }] },
    ],
  };
}

export function channelStartNotice(session: Session, user: ChatUserRef): ChatMessage {
  const text: Text = [{ mention: user }, ' started a debug session on ', { code: session.target.name }, ` (profile ${session.profile}, until `, { time: session.expiresAt }, ')'];
  text.push(session.reason ? `: ${session.reason}` : '.');
  return { summary: plain(text), blocks: [{ kind: 'text', text }] };
}

export function channelEndNotice(session: Session, user: ChatUserRef): ChatMessage {
  const text: Text = [{ mention: user }, ' ended the debug session on ', { code: session.target.name }, '; its sidecar is removed.'];
  return { summary: plain(text), blocks: [{ kind: 'text', text }] };
}

export function commandOutputMessage(session: Session, argv: string[], outcome: ExecOutcome | (Omit<ExecOutcome, 'exitCode'> & { exitCode: null }), timeoutSeconds: number): ChatMessage {
  const status = outcome.exitCode === null ? `was stopped after ${timeoutSeconds} s (timeout)` : `exited ${outcome.exitCode}`;
  const blocks: Block[] = [
    { kind: 'text', text: [{ code: argv.join(' ') }, ` on ${session.target.name} ${status} in ${outcome.durationMs} ms`] },
    { kind: 'output', label: 'stdout', text: outcome.stdout, cappedByDaemon: outcome.stdoutTruncated },
  ];
  if (outcome.stderr || outcome.stderrTruncated) blocks.push({ kind: 'output', label: 'stderr', text: outcome.stderr, cappedByDaemon: outcome.stderrTruncated });
  blocks.push({ kind: 'context', text: ['Session ', { code: session.id }, ' · sidecar ', { code: session.sidecar.name }] });
  return { summary: `${argv.join(' ')} on ${session.target.name} ${status}`, blocks };
}

export function sessionListMessage(sessions: Session[], more: boolean, everyone: boolean): ChatMessage {
  if (sessions.length === 0) {
    return textMessage(everyone ? 'There are no active debug sessions.' : 'You have no active debug sessions. Start one with /debug <target>.');
  }
  const blocks: Block[] = [{ kind: 'text', text: [{ bold: everyone ? 'Active debug sessions' : 'Your active debug sessions' }] }];
  for (const s of sessions) {
    blocks.push({
      kind: 'text',
      text: [{ code: s.target.name }, ' · ', { code: s.sidecar.name }, ` · ${s.profile} · until `, { time: s.expiresAt }, everyone ? ` · ${s.requestedBy}` : '', s.reason ? ` · ${s.reason}` : ''],
    });
    blocks.push({ kind: 'context', text: ['Session ', { code: s.id }] });
    blocks.push({ kind: 'session-actions', sessionId: s.id, target: s.target.name });
  }
  if (more) blocks.push({ kind: 'context', text: ['More sessions are active than fit here; GET /v1/sessions?state=active lists them all.'] });
  return { summary: `${sessions.length}${more ? '+' : ''} active debug session(s)`, blocks };
}
