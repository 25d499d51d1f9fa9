/** A dependency-free SVG bar chart: panels of grouped horizontal bars, one scale per panel. */

export interface Bar {
  name: string;
  value: number;
  /** Shown at the bar's end, e.g. "512 ms". */
  label: string;
  color: string;
}

export interface Group {
  label: string;
  bars: Bar[];
}

export interface Panel {
  title: string;
  groups: Group[];
}

const WIDTH = 820;
const LABEL_W = 170;
const BAR_H = 16;
const BAR_GAP = 3;
const GROUP_GAP = 12;
const VALUE_W = 150;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function panelSvg(panel: Panel, top: number): { svg: string; height: number } {
  const max = Math.max(...panel.groups.flatMap((g) => g.bars.map((b) => b.value)), 1e-9);
  // Room for the longest bar's text (11 px Helvetica: ~6.2 px a character).
  const longest = Math.max(...panel.groups.flatMap((g) => g.bars.filter((b) => b.value === max).map((b) => `${b.name} ${b.label}`.length)), 0);
  const plotW = WIDTH - LABEL_W - Math.max(VALUE_W, longest * 6.2 + 12) - 10;
  const parts: string[] = [`<text x="10" y="${top + 16}" class="title">${esc(panel.title)}</text>`];
  let y = top + 28;
  for (const group of panel.groups) {
    const groupH = group.bars.length * (BAR_H + BAR_GAP) - BAR_GAP;
    parts.push(`<text x="${LABEL_W - 8}" y="${y + groupH / 2 + 4}" class="group" text-anchor="end">${esc(group.label)}</text>`);
    for (const bar of group.bars) {
      const w = Number.isFinite(bar.value) ? Math.max(1, (bar.value / max) * plotW) : 0;
      parts.push(
        `<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${bar.color}"><title>${esc(`${bar.name}: ${bar.label}`)}</title></rect>`,
        `<text x="${(LABEL_W + w + 6).toFixed(1)}" y="${y + BAR_H - 4}" class="value">${esc(`${bar.name} ${bar.label}`)}</text>`,
      );
      y += BAR_H + BAR_GAP;
    }
    y += GROUP_GAP;
  }
  return { svg: parts.join('\n'), height: y - top + 6 };
}

/** The whole chart: a caption line, then the panels one under the other. */
export function renderChart(caption: string, panels: Panel[]): string {
  const bodies: string[] = [];
  let y = 34;
  for (const panel of panels) {
    const { svg, height } = panelSvg(panel, y);
    bodies.push(svg);
    y += height;
  }
  const height = Math.ceil(y + 8);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${esc(caption)}">`,
    '<style>text{font-family:Helvetica,Arial,sans-serif;fill:#222}.title{font-size:14px;font-weight:bold}.group{font-size:12px}.value{font-size:11px}.caption{font-size:11px;fill:#555}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" class="caption">${esc(caption)}</text>`,
    ...bodies,
    '</svg>',
    '',
  ].join('\n');
}

export const COLORS = { daemon: '#1f77b4', libpod: '#2ca02c', cli: '#ff7f0e', hono: '#7f7f7f', other: '#9467bd' } as const;
