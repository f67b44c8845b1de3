/**
 * A grid of small line charts as one self-contained SVG (no plotting dependency): one panel per
 * series, each with its own y scale from zero, so whether a series levels off shows at a glance.
 */

export interface Series {
  title: string;
  unit: string;
  /** [x, y] points, x in the shared unit of the x axis (e.g. minutes). */
  points: Array<[number, number]>;
}

const WIDTH = 330;
const HEIGHT = 170;
const MARGIN = { left: 58, right: 14, top: 28, bottom: 30 };

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** 1, 2 or 5 × 10^k at or above `value`: round axis maxima. */
function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

const label = (value: number) => (Math.abs(value) >= 10_000 ? `${(value / 1000).toFixed(0)}k` : Number.isInteger(value) ? String(value) : value.toFixed(1));

function panel(series: Series, xMax: number, xUnit: string, originX: number, originY: number): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const values = series.points.map(([, y]) => y).filter(Number.isFinite);
  const yMax = niceCeiling(Math.max(1, ...values) * 1.05);
  const x = (value: number) => originX + MARGIN.left + (value / xMax) * plotWidth;
  const y = (value: number) => originY + MARGIN.top + plotHeight - (value / yMax) * plotHeight;
  const last = values.at(-1);
  const parts = [
    `<text x="${originX + MARGIN.left}" y="${originY + 17}" class="title">${escapeXml(series.title)}${last === undefined ? '' : `: ${label(last)} ${escapeXml(series.unit)}`}</text>`,
    `<rect x="${x(0)}" y="${y(yMax)}" width="${plotWidth}" height="${plotHeight}" class="frame"/>`,
  ];
  for (const tick of [0, yMax / 2, yMax]) {
    parts.push(`<line x1="${x(0)}" x2="${x(xMax)}" y1="${y(tick)}" y2="${y(tick)}" class="grid"/>`);
    parts.push(`<text x="${x(0) - 5}" y="${y(tick) + 4}" class="tick" text-anchor="end">${label(tick)}</text>`);
  }
  for (const tick of [0, xMax / 2, xMax]) {
    parts.push(`<text x="${x(tick)}" y="${y(0) + 15}" class="tick" text-anchor="middle">${label(tick)}${tick === xMax ? ` ${escapeXml(xUnit)}` : ''}</text>`);
  }
  const points = series.points.filter(([, value]) => Number.isFinite(value)).map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`);
  if (points.length) parts.push(`<polyline points="${points.join(' ')}" class="line"/>`);
  return parts.join('\n');
}

export function smallMultiples(series: Series[], options: { title: string; xUnit: string; columns?: number }): string {
  const columns = options.columns ?? 3;
  const rows = Math.max(1, Math.ceil(series.length / columns));
  const width = columns * WIDTH;
  const height = rows * HEIGHT + 34;
  const xMax = Math.max(1e-9, ...series.flatMap((s) => s.points.map(([px]) => px)));
  const panels = series.map((s, index) => panel(s, xMax, options.xUnit, (index % columns) * WIDTH, 34 + Math.floor(index / columns) * HEIGHT));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<style>
.title { font-size: 12px; fill: #222; }
.heading { font-size: 15px; font-weight: bold; fill: #222; }
.tick { font-size: 10px; fill: #555; }
.frame { fill: #fff; stroke: #999; stroke-width: 1; }
.grid { stroke: #e4e4e4; stroke-width: 1; }
.line { fill: none; stroke: #1f5fbf; stroke-width: 1.8; }
</style>
<rect width="100%" height="100%" fill="#fafafa"/>
<text x="12" y="22" class="heading">${escapeXml(options.title)}</text>
${panels.join('\n')}
</svg>
`;
}
