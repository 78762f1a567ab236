import { CATEGORY_COLORS, escapeHtml, formatSeconds } from './html-page.ts';
import { slowestRanks, type JobTimeline, type LaneSpan, type RankLane } from './job-timeline.ts';
import { grouped } from './grouped.ts';

/** Up to this many ranks, every rank has a lane of its own. */
export const MAX_LANES = 64;
/** Beyond MAX_LANES: this many of the slowest ranks keep a lane of their own, above the bands. */
export const SLOWEST_APART = 8;
/** Beyond MAX_LANES: the ranks are drawn in about this many bands of neighbouring ranks. */
const BANDS = 48;

const WIDTH = 1200;
const LABEL = 118;
const PLOT = WIDTH - LABEL - 12;
const ROW = 14;
const ROW_GAP = 3;
const AXIS = 22;
const SECTION_GAP = 14;

type Row =
  | { kind: 'lane'; lane: RankLane; label: string }
  | { kind: 'band'; lanes: RankLane[]; label: string }
  | { kind: 'gap'; label: string };

/**
 * The job's timeline as inline SVG: a lane per rank (start-up, compute, each MPI call's wait with
 * its peer, tag or root in its tooltip, sends, clean-up, marks). Spans narrower than a pixel are
 * drawn as the kind of time that fills most of that pixel, so the picture's size follows its
 * width, not the number of calls. Beyond MAX_LANES ranks the slowest are drawn apart and the rest
 * in bands of neighbouring ranks, each pixel coloured by what most of the band's ranks did then.
 */
export function timelineSvg(timeline: JobTimeline): string {
  const rows: Row[] = [];
  if (timeline.size <= MAX_LANES) {
    for (const lane of timeline.lanes) rows.push({ kind: 'lane', lane, label: `rank ${lane.rank}` });
  } else {
    rows.push({ kind: 'gap', label: `the ${SLOWEST_APART} slowest ranks` });
    for (const lane of slowestRanks(timeline, SLOWEST_APART)) rows.push({ kind: 'lane', lane, label: `rank ${lane.rank}` });
    const perBand = Math.ceil(timeline.size / BANDS);
    rows.push({ kind: 'gap', label: `all ${grouped(timeline.size)} ranks, ${perBand} a band` });
    for (let first = 0; first < timeline.size; first += perBand) {
      const lanes = timeline.lanes.slice(first, first + perBand);
      rows.push({ kind: 'band', lanes, label: `ranks ${first}–${lanes.at(-1)!.rank}` });
    }
  }
  const scale = PLOT / Math.max(1, timeline.spanUs - timeline.startUs);
  // Lanes are drawn from the earliest moment on (before 0 when a rank started before the job's clock).
  const x: Scale = { from: timeline.startUs, perUs: scale };
  const parts: string[] = [];
  let y = AXIS;
  for (const row of rows) {
    if (row.kind === 'gap') {
      parts.push(`<text x="0" y="${y + SECTION_GAP - 3}" font-weight="600">${escapeHtml(row.label)}</text>`);
      y += SECTION_GAP + 2;
      continue;
    }
    parts.push(row.kind === 'lane' ? laneSvg(row.lane, row.label, y, x) : bandSvg(row.lanes, row.label, y, x));
    y += ROW + ROW_GAP;
  }
  const height = y + 4;
  return `<svg class="timeline" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="timeline of job ${escapeHtml(timeline.jobId)}">
${axisSvg(timeline.startUs, timeline.spanUs, scale, height)}
${parts.join('\n')}
</svg>`;
}

/** Pixels from the plot's left edge: µs since `from`, times `perUs`. */
interface Scale {
  from: number;
  perUs: number;
}

function laneSvg(lane: RankLane, label: string, y: number, scale: Scale): string {
  const shapes: string[] = [];
  const columns = new Columns();
  for (const span of lane.spans) {
    const x = (span.start - scale.from) * scale.perUs;
    const w = span.duration * scale.perUs;
    if (w >= 1.5) {
      shapes.push(`<rect x="${px(LABEL + x)}" y="${y}" width="${px(w)}" height="${ROW}" fill="${color(span.category)}"><title>rank ${lane.rank}: ${escapeHtml(spanTitle(span))}</title></rect>`);
    } else {
      columns.add(span, scale);
    }
  }
  shapes.push(...columns.rects(y, (category, count) => `rank ${lane.rank}: ${count} short spans, mostly ${category}`));
  for (const mark of lane.marks) {
    shapes.push(`<rect x="${px(LABEL + (mark.at - scale.from) * scale.perUs)}" y="${y - 2}" width="1.5" height="${ROW + 4}" fill="#1f2933"><title>rank ${lane.rank}: ${escapeHtml(mark.name)} at ${formatSeconds(mark.at / 1e6)}</title></rect>`);
  }
  return `<g class="lane" data-rank="${lane.rank}"><text class="lane-label" x="0" y="${y + ROW - 3}">${escapeHtml(label)}</text>${shapes.join('')}</g>`;
}

function bandSvg(lanes: RankLane[], label: string, y: number, scale: Scale): string {
  const columns = new Columns();
  for (const lane of lanes) for (const span of lane.spans) columns.add(span, scale);
  const first = lanes[0]!.rank;
  const last = lanes.at(-1)!.rank;
  const rects = columns.rects(y, (category) => `ranks ${first}–${last}: mostly ${category}`);
  return `<g class="band" data-first-rank="${first}" data-last-rank="${last}"><text class="lane-label" x="0" y="${y + ROW - 3}">${escapeHtml(label)}</text>${rects.join('')}</g>`;
}

/** Time per pixel column and kind of span; each column is drawn in the kind that fills most of it. */
class Columns {
  private readonly byColumn = new Map<number, Map<string, number>>();
  private readonly counts = new Map<number, number>();

  add(span: LaneSpan, scale: Scale): void {
    const from = (span.start - scale.from) * scale.perUs;
    const to = (span.start + span.duration - scale.from) * scale.perUs;
    const last = Math.min(PLOT - 1, Math.floor(to));
    for (let column = Math.max(0, Math.floor(from)); column <= last; column++) {
      // A span of no duration still shows: it counts as a sliver of its column.
      const share = Math.max(1e-6, Math.min(to, column + 1) - Math.max(from, column));
      const kinds = this.byColumn.get(column) ?? new Map<string, number>();
      kinds.set(span.category, (kinds.get(span.category) ?? 0) + share);
      this.byColumn.set(column, kinds);
      this.counts.set(column, (this.counts.get(column) ?? 0) + 1);
    }
  }

  rects(y: number, title: (category: string, count: number) => string): string[] {
    const rects: string[] = [];
    const columns = [...this.byColumn.keys()].sort((a, b) => a - b);
    let run: { from: number; to: number; category: string; count: number } | undefined;
    const flush = () => {
      if (!run) return;
      rects.push(`<rect x="${px(LABEL + run.from)}" y="${y}" width="${run.to - run.from + 1}" height="${ROW}" fill="${color(run.category)}"><title>${escapeHtml(title(run.category, run.count))}</title></rect>`);
      run = undefined;
    };
    for (const column of columns) {
      const kinds = this.byColumn.get(column)!;
      let category = '';
      let most = -1;
      for (const [kind, share] of kinds) if (share > most) [category, most] = [kind, share];
      if (run && run.category === category && run.to === column - 1) {
        run.to = column;
        run.count += this.counts.get(column)!;
      } else {
        flush();
        run = { from: column, to: column, category, count: this.counts.get(column)! };
      }
    }
    flush();
    return rects;
  }
}

function axisSvg(startUs: number, spanUs: number, scale: number, height: number): string {
  const step = niceStep((spanUs - startUs) / 8);
  const ticks: string[] = [];
  for (let t = Math.ceil(startUs / step) * step; t <= spanUs + 1e-9; t += step) {
    const x = px(LABEL + (t - startUs) * scale);
    // The last label ends at the tick rather than past the picture's edge.
    const anchor = LABEL + (t - startUs) * scale > WIDTH - 40 ? 'end' : 'middle';
    ticks.push(`<line x1="${x}" y1="${AXIS - 6}" x2="${x}" y2="${height}" stroke="#e4e7eb"/><text x="${x}" y="${AXIS - 9}" text-anchor="${anchor}">${formatSeconds(t / 1e6)}</text>`);
  }
  return ticks.join('');
}

/** 1, 2 or 5 times a power of ten, at least `rough`. */
export function niceStep(rough: number): number {
  if (!(rough > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 5, 10]) if (m * power >= rough) return m * power;
  return 10 * power;
}

export function spanTitle(span: LaneSpan): string {
  const args = span.args ? Object.entries(span.args).map(([k, v]) => `${k} ${String(v)}`).join(', ') : '';
  return `${span.name} (${span.category}) at ${formatSeconds(span.start / 1e6)} for ${formatSeconds(span.duration / 1e6)}${args ? `; ${args}` : ''}`;
}

function color(category: string): string {
  return CATEGORY_COLORS[category] ?? CATEGORY_COLORS.other!;
}

function px(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}
