/**
 * Cuts command output to fit a chat platform's limits: pure, so it is tested on its own.
 *
 * The budget counts the text as it will be sent (after `escape`), so escaping can never push a
 * block over the limit; the cut never splits a surrogate pair or an escape, and prefers the end of
 * a line when one is near. Runs of three backticks are broken up (a zero-width space after the
 * first), so output cannot close the code block it is shown in.
 */
export interface FittedOutput {
  /** The text to put inside the code block, already escaped. */
  body: string;
  cut: boolean;
  /** Characters (code points) of the original shown, and in all. */
  shownChars: number;
  totalChars: number;
}

export function fitOutput(text: string, budget: number, escape: (ch: string) => string = (ch) => ch): FittedOutput {
  const safe = text.replace(/```/g, '`\u200b``');
  const chars = Array.from(safe);
  const totalChars = Array.from(text).length;
  let body = '';
  let shown = 0;
  let lastLineEnd: { length: number; shown: number } | null = null;
  for (const ch of chars) {
    const piece = escape(ch);
    if (body.length + piece.length > budget) {
      // Cut at the last line end if that keeps most of what fits.
      if (lastLineEnd && lastLineEnd.length >= budget * 0.75) {
        body = body.slice(0, lastLineEnd.length);
        shown = lastLineEnd.shown;
      }
      return { body, cut: true, shownChars: Math.min(shown, totalChars), totalChars };
    }
    body += piece;
    shown += 1;
    if (ch === '\n') lastLineEnd = { length: body.length, shown };
  }
  return { body, cut: false, shownChars: totalChars, totalChars };
}

/** "Output cut to fit Slack: showing the first 2,987 of 23,893 characters." */
export function cutNote(platform: string, fitted: FittedOutput): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `Output cut to fit ${platform}: showing the first ${n(fitted.shownChars)} of ${n(fitted.totalChars)} characters. The API (POST /v1/sessions/{id}/exec) returns the rest.`;
}

export const DAEMON_CAP_NOTE = 'podman-debugd itself kept only the start of this stream (PODMAN_DEBUGD_MAX_OUTPUT_BYTES).';
