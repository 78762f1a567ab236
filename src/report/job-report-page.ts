import type { OutputLine } from '../runtime/output.ts';
import type { ChromeTrace } from '../runtime/trace/chrome-trace.ts';
import { CATEGORY_COLORS, escapeHtml, formatDollars, formatSeconds, htmlPage, htmlTable } from './html-page.ts';
import { longestWaits, slowestRanks, timelineOf } from './job-timeline.ts';
import { MAX_LANES, SLOWEST_APART, timelineSvg } from './timeline-svg.ts';
import { grouped } from './grouped.ts';

/** Everything the job report shows; each edge (run, run --stage, model, GET /runs/{jobId}/report) fills what it knows. */
export interface JobReportInput {
  /** e.g. "pi on 16 ranks". */
  title: string;
  jobId: string;
  size: number;
  /** Where the ranks ran: "in this process (inline)", "worker threads", "stage dev", "modeled Lambdas". */
  placement: string;
  status: 'succeeded' | 'failed' | 'cancelled' | 'lost';
  /** Why it did not succeed. */
  error?: string;
  /** The whole job, clean-up included where known. */
  durationMs?: number;
  phases?: { startupMs: number; runMs: number; cleanupMs: number };
  cost?: { totalUsd: number; parts: Array<{ name: string; usd: number }>; note?: string };
  /** The job's timeline (a traced job's RunResult.trace or runs/<jobId>/trace.json). */
  trace?: ChromeTrace;
  output?: readonly OutputLine[];
  /** Sentences shown under the summary (assumptions, what is missing and why). */
  notes?: string[];
}

const LISTED = 10;
/** Lines kept from each end of a rank's output. */
const OUTPUT_ENDS = 3;

/** One self-contained HTML page of a job: summary, timeline, slowest ranks, longest waits, output. */
export function renderJobReport(input: JobReportInput): string {
  const sections = [
    `<h1>${escapeHtml(input.title)}</h1>`,
    `<p class="sub">job <code>${escapeHtml(input.jobId)}</code> · ${escapeHtml(input.placement)}</p>`,
    summary(input),
    ...(input.notes ?? []).map((note) => `<p class="note">${escapeHtml(note)}</p>`),
    input.trace ? timelineSections(input.trace) : `<h2>Timeline</h2>\n<p class="note">${input.status === 'succeeded'
      ? 'This job was not traced, so there is no timeline: run it with --report (or POST it with "trace": true) to record one.'
      : 'A job that does not finish has no timeline: its ranks stopped before they reported their calls.'}</p>`,
    outputSection(input.output ?? [], input.size),
  ];
  return htmlPage(`${input.title}: lambda-mpi job report`, sections.join('\n'));
}

function summary(input: JobReportInput): string {
  const rows: Array<[string, string]> = [
    ['ranks', `<span data-field="ranks">${grouped(input.size)}</span>`],
    ['result', `<span class="status status-${input.status}" data-field="status">${input.status}</span>${input.error ? ` <pre>${escapeHtml(input.error)}</pre>` : ''}`],
  ];
  if (input.durationMs !== undefined) rows.push(['total', `<span data-field="total-seconds" data-value="${input.durationMs / 1000}">${formatSeconds(input.durationMs / 1000)}</span>`]);
  if (input.phases) {
    const { startupMs, runMs, cleanupMs } = input.phases;
    rows.push(['time', `start-up <span data-field="startup-seconds" data-value="${startupMs / 1000}">${formatSeconds(startupMs / 1000)}</span> · run <span data-field="run-seconds" data-value="${runMs / 1000}">${formatSeconds(runMs / 1000)}</span> · clean-up <span data-field="cleanup-seconds" data-value="${cleanupMs / 1000}">${formatSeconds(cleanupMs / 1000)}</span>`]);
  }
  if (input.cost) {
    const parts = input.cost.parts.map((part) => `${escapeHtml(part.name)} ${formatDollars(part.usd)}`).join(' · ');
    rows.push(['cost', `<span data-field="cost-usd" data-value="${input.cost.totalUsd}">${formatDollars(input.cost.totalUsd)}</span>${parts ? ` (${parts})` : ''}${input.cost.note ? ` <span class="note">${escapeHtml(input.cost.note)}</span>` : ''}`]);
  }
  return `<dl class="summary">\n${rows.map(([name, value]) => `<dt>${name}</dt><dd>${value}</dd>`).join('\n')}\n</dl>`;
}

function timelineSections(trace: ChromeTrace): string {
  const timeline = timelineOf(trace);
  const legend = ['startup', 'compute', 'wait', 'send', 'cleanup']
    .map((category) => `<span><i style="background:${CATEGORY_COLORS[category]}"></i>${category === 'wait' ? 'waiting in an MPI call' : category}</span>`).join('');
  const banded = timeline.size > MAX_LANES
    ? `<p class="note">${grouped(timeline.size)} ranks: the ${SLOWEST_APART} slowest have lanes of their own; the others are drawn in bands of neighbouring ranks, each moment coloured by what most of the band did. Hover a span for its call, peer, tag or root.</p>`
    : '<p class="note">A lane per rank. Hover a span for its call, peer, tag or root.</p>';
  const dropped = timeline.droppedCalls ? `<p class="note">${grouped(timeline.droppedCalls)} calls beyond the trace's limit per rank are not drawn.</p>` : '';
  const slow = slowestRanks(timeline, LISTED).map((lane) => [
    `rank ${lane.rank}`,
    formatSeconds(lane.endUs / 1e6),
    ...['compute', 'wait', 'send', 'startup'].map((category) => formatSeconds((lane.totals[category] ?? 0) / 1e6)),
  ]);
  const waits = longestWaits(timeline, LISTED).map((wait) => [
    `rank ${wait.rank}`, escapeHtml(wait.name), formatSeconds(wait.start / 1e6), formatSeconds(wait.duration / 1e6),
  ]);
  return [
    '<h2>Timeline</h2>',
    `<div class="legend">${legend}</div>`,
    banded,
    dropped,
    timelineSvg(timeline),
    '<h2>Slowest ranks</h2>',
    htmlTable(['rank', 'program ended at', 'compute', 'waiting', 'sending', 'start-up'], slow, 'slowest'),
    '<h2>Longest waits</h2>',
    waits.length ? htmlTable(['rank', 'call', 'began at', 'waited'], waits, 'waits') : '<p class="note">No rank waited in an MPI call.</p>',
  ].join('\n');
}

function outputSection(output: readonly OutputLine[], size: number): string {
  const byRank = new Map<number, OutputLine[]>();
  for (const line of output) {
    const lines = byRank.get(line.rank) ?? [];
    lines.push(line);
    byRank.set(line.rank, lines);
  }
  if (byRank.size === 0) return '<h2>Output</h2>\n<p class="note">The ranks printed nothing.</p>';
  const rows = [...byRank.entries()].sort(([a], [b]) => a - b).map(([rank, lines]) => {
    const shown = lines.length <= OUTPUT_ENDS * 2
      ? lines.map(outputLine)
      : [...lines.slice(0, OUTPUT_ENDS).map(outputLine), `… ${lines.length - OUTPUT_ENDS * 2} more lines …`, ...lines.slice(-OUTPUT_ENDS).map(outputLine)];
    return [`rank ${rank}`, `${lines.length}`, `<pre>${shown.join('\n')}</pre>`];
  });
  const table = htmlTable(['rank', 'lines', `first and last ${OUTPUT_ENDS} lines`], rows, 'output');
  // A thousand ranks' lines would bury the page: they stay one click away.
  const body = size > MAX_LANES ? `<details><summary>${grouped(byRank.size)} ranks printed; show their first and last lines</summary>\n${table}\n</details>` : table;
  return `<h2>Output</h2>\n${body}`;
}

function outputLine(line: OutputLine): string {
  return line.stream === 'stderr' ? `<span style="color:#9b1c1c">${escapeHtml(line.line)}</span>` : escapeHtml(line.line);
}
