import { escapeHtml, formatDollars, formatSeconds, htmlPage } from './html-page.ts';
import { lineChartSvg } from './line-chart-svg.ts';
import { grouped } from './grouped.ts';

/** A modeled job's figures, as `model --json` prints them (the fields the sweep shows). */
export interface SizeFigures {
  size: number;
  startupSeconds: number;
  runSeconds: number;
  cleanupSeconds: number;
  totalSeconds: number;
  collectives: Record<string, { calls: number; seconds: number }>;
  pointToPoint?: { calls: number; seconds: number };
  requests: { sqs: number; s3Put: number; s3Get: number; lambdaInvoke: number };
  costUsd: number;
}

/** One size of a sweep: its figures, or why it failed. */
export type SweepEntry = { size: number; figures: SizeFigures; error?: undefined } | { size: number; figures?: undefined; error: string };

export interface SweepInput {
  /** e.g. "pi" */
  program: string;
  /** One sentence of what was assumed (memory, warm or cold, the figures' date). */
  assumptions: string;
  entries: SweepEntry[];
}

/** The sizes marked in the table: the cheapest and the fastest of those that ran. */
export function sweepMarks(entries: readonly SweepEntry[]): { cheapest?: number; fastest?: number } {
  const ran = entries.flatMap((entry) => (entry.figures ? [entry.figures] : []));
  if (ran.length === 0) return {};
  const cheapest = ran.reduce((best, f) => (f.costUsd < best.costUsd ? f : best)).size;
  const fastest = ran.reduce((best, f) => (f.totalSeconds < best.totalSeconds ? f : best)).size;
  return { cheapest, fastest };
}

/** The names of the collectives any size called, in order: one column each. */
export function sweepCollectives(entries: readonly SweepEntry[]): string[] {
  return [...new Set(entries.flatMap((entry) => Object.keys(entry.figures?.collectives ?? {})))].sort();
}

/** One self-contained HTML page of a sweep over job sizes: the table, then time and cost against N. */
export function renderSweepReport(input: SweepInput): string {
  const marks = sweepMarks(input.entries);
  const collectives = sweepCollectives(input.entries);
  const headers = ['ranks', 'start-up', 'run', 'clean-up', 'total', ...collectives, 'point-to-point', 'requests', 'cost', ''];
  const rows = input.entries.map((entry) => {
    const f = entry.figures;
    if (!f) return `<tr class="failed" data-size="${entry.size}"><td class="num">${grouped(entry.size)}</td><td colspan="${headers.length - 1}">failed: ${escapeHtml(entry.error)}</td></tr>`;
    const requests = f.requests.sqs + f.requests.s3Put + f.requests.s3Get + f.requests.lambdaInvoke;
    const cells = [
      grouped(f.size),
      formatSeconds(f.startupSeconds), formatSeconds(f.runSeconds), formatSeconds(f.cleanupSeconds),
      `<span data-field="total-seconds" data-value="${f.totalSeconds}">${formatSeconds(f.totalSeconds)}</span>`,
      ...collectives.map((name) => (f.collectives[name] ? formatSeconds(f.collectives[name].seconds) : '–')),
      f.pointToPoint?.calls ? formatSeconds(f.pointToPoint.seconds) : '–',
      `<span title="SQS ${f.requests.sqs}, S3 PUT ${f.requests.s3Put}, S3 GET ${f.requests.s3Get}, Lambda Invoke ${f.requests.lambdaInvoke}">${grouped(requests)}</span>`,
      `<span data-field="cost-usd" data-value="${f.costUsd}">${formatDollars(f.costUsd)}</span>`,
    ].map((cell) => `<td class="num">${cell}</td>`);
    const badges = [
      marks.cheapest === f.size ? '<span class="mark mark-cheapest">cheapest</span>' : '',
      marks.fastest === f.size ? '<span class="mark mark-fastest">fastest</span>' : '',
    ].join('');
    return `<tr data-size="${f.size}">${cells.join('')}<td>${badges}</td></tr>`;
  });
  const table = `<table class="sweep">\n<thead><tr>${headers.map((h, i) => `<th${i > 0 && i < headers.length - 1 ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
  const ran = input.entries.flatMap((entry) => (entry.figures ? [entry.figures] : []));
  const timeChart = lineChartSvg({
    title: 'Time against the number of Lambdas',
    xLabel: 'ranks (Lambdas)',
    formatY: (y) => formatSeconds(y),
    series: [
      { name: 'total', color: '#1f2933', points: ran.map((f) => ({ x: f.size, y: f.totalSeconds })) },
      { name: 'run', color: '#3f9c5a', points: ran.map((f) => ({ x: f.size, y: f.runSeconds })) },
      { name: 'start-up', color: '#9aa5b1', points: ran.map((f) => ({ x: f.size, y: f.startupSeconds })) },
    ],
  });
  const costChart = lineChartSvg({
    title: 'Cost against the number of Lambdas',
    xLabel: 'ranks (Lambdas)',
    formatY: (y) => formatDollars(y),
    series: [{ name: 'cost', color: '#e07a2f', points: ran.map((f) => ({ x: f.size, y: f.costUsd })) }],
  });
  const body = [
    `<h1>${escapeHtml(input.program)}: time and cost against the number of Lambdas</h1>`,
    `<p class="sub">modeled by lambda-mpi model · ${escapeHtml(input.assumptions)}</p>`,
    table,
    '<p class="note">Collective and point-to-point columns: seconds inside those calls on the slowest rank. Requests: SQS, S3 and Lambda Invoke together (hover for each).</p>',
    `<div class="charts">${timeChart}${costChart}</div>`,
  ];
  return htmlPage(`${input.program}: lambda-mpi sweep over job sizes`, body.join('\n'));
}
