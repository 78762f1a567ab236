import { escapeHtml } from './html-page.ts';
import { niceStep } from './timeline-svg.ts';
import { grouped } from './grouped.ts';

export interface ChartSeries {
  name: string;
  color: string;
  points: Array<{ x: number; y: number }>;
}

export interface LineChart {
  title: string;
  xLabel: string;
  series: ChartSeries[];
  /** How a y value is written on the axis and in tooltips. */
  formatY: (y: number) => string;
}

const WIDTH = 560;
const HEIGHT = 320;
const LEFT = 74;
const RIGHT = 16;
const TOP = 30;
const BOTTOM = 46;

/** A line chart as inline SVG, x on a log scale (job sizes), y linear from 0; a tick at every x that has a point. */
export function lineChartSvg(chart: LineChart): string {
  const xs = [...new Set(chart.series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const ys = chart.series.flatMap((s) => s.points.map((p) => p.y));
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const [minX, maxX] = [Math.log10(xs[0] ?? 1), Math.log10(xs.at(-1) ?? 10)];
  const spanX = maxX - minX || 1;
  // One size alone sits in the middle.
  const xOf = (x: number) => LEFT + (maxX === minX ? plotW / 2 : ((Math.log10(x) - minX) / spanX) * plotW);
  const step = niceStep(Math.max(...ys, 0) / 5 || 1);
  const top = Math.max(step, Math.ceil((Math.max(...ys, 0) * 1.05) / step) * step);
  const yOf = (y: number) => TOP + plotH - (y / top) * plotH;
  const parts: string[] = [`<text x="${LEFT}" y="18" font-weight="600" font-size="13">${escapeHtml(chart.title)}</text>`];
  for (let y = 0; y <= top + step / 2; y += step) {
    parts.push(`<line x1="${LEFT}" y1="${yOf(y)}" x2="${WIDTH - RIGHT}" y2="${yOf(y)}" stroke="#e4e7eb"/><text x="${LEFT - 6}" y="${yOf(y) + 4}" text-anchor="end">${escapeHtml(chart.formatY(y))}</text>`);
  }
  for (const x of xs) {
    parts.push(`<line x1="${xOf(x)}" y1="${TOP + plotH}" x2="${xOf(x)}" y2="${TOP + plotH + 5}" stroke="#616e7c"/><text x="${xOf(x)}" y="${TOP + plotH + 17}" text-anchor="middle">${grouped(x)}</text>`);
  }
  parts.push(`<line x1="${LEFT}" y1="${TOP + plotH}" x2="${WIDTH - RIGHT}" y2="${TOP + plotH}" stroke="#616e7c"/>`);
  parts.push(`<text x="${LEFT + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escapeHtml(chart.xLabel)} (log scale)</text>`);
  chart.series.forEach((series, index) => {
    const points = [...series.points].sort((a, b) => a.x - b.x);
    if (points.length > 1) {
      parts.push(`<polyline fill="none" stroke="${series.color}" stroke-width="2" points="${points.map((p) => `${xOf(p.x).toFixed(1)},${yOf(p.y).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of points) {
      parts.push(`<circle cx="${xOf(p.x).toFixed(1)}" cy="${yOf(p.y).toFixed(1)}" r="3.5" fill="${series.color}"><title>${escapeHtml(`${series.name} at ${p.x}: ${chart.formatY(p.y)}`)}</title></circle>`);
    }
    const legendX = LEFT + 10 + index * 120;
    parts.push(`<rect x="${legendX}" y="${TOP + 4}" width="10" height="10" fill="${series.color}"/><text x="${legendX + 14}" y="${TOP + 13}">${escapeHtml(series.name)}</text>`);
  });
  return `<svg class="chart" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(chart.title)}">\n${parts.join('\n')}\n</svg>`;
}
