import { MAX_SIZE } from '../mpi/constants.ts';
import type { ModelReport, ModeledFailure } from '../model/model-run.ts';
import { sweepCollectives, sweepMarks, type SweepEntry } from '../report/sweep-page.ts';
import { UsageError } from './command.ts';
import { describeFailure } from './job-report.ts';
import { grouped, rankCount } from '../report/grouped.ts';

/** `--sizes 16,64,256`: the job sizes of a sweep, each in 1..MAX_SIZE, each once, in the order given. */
export function parseSizes(text: string): number[] {
  const allowed = `a comma-separated list of rank counts, each a whole number in 1..${MAX_SIZE} (e.g. --sizes 16,64,256,1000)`;
  const items = text.split(',').map((item) => item.trim());
  if (text.trim() === '' || items.some((item) => item === '')) throw new UsageError(`--sizes must be ${allowed}; received ${JSON.stringify(text)}`);
  const sizes: number[] = [];
  for (const item of items) {
    const size = Number(item);
    if (!/^\d+$/.test(item) || size < 1 || size > MAX_SIZE) throw new UsageError(`--sizes must be ${allowed}; ${JSON.stringify(item)} is not`);
    if (sizes.includes(size)) throw new UsageError(`--sizes lists ${size} twice; give each size once`);
    sizes.push(size);
  }
  return sizes;
}

/** One size of a sweep as run: its report, or its error (with what the model saw until then). */
export type SweepOutcome = { size: number; report: ModelReport } | { size: number; error: unknown };

/**
 * Models the program at each size, one after another (each size has the whole machine: the
 * model measures the CPU the ranks use), telling `progress` before and after each.
 */
export async function runSweep(
  model: (size: number) => Promise<ModelReport>,
  sizes: readonly number[],
  progress: (line: string) => void,
): Promise<SweepOutcome[]> {
  const outcomes: SweepOutcome[] = [];
  for (const [index, size] of sizes.entries()) {
    const step = `[${index + 1}/${sizes.length}] ${rankCount(size)}`;
    progress(`${step}: modeling…`);
    try {
      const report = await model(size);
      outcomes.push({ size, report });
      progress(`${step}: ${report.totalSeconds.toFixed(3)} s, ${dollars(report.costUsd)}`);
    } catch (error) {
      outcomes.push({ size, error });
      progress(`${step}: failed: ${briefly(firstLine(describeFailure(error)))}`);
    }
  }
  return outcomes;
}


/** The sweep's entries for the report page: figures, or the failure's first line. */
export function sweepEntries(outcomes: readonly SweepOutcome[]): SweepEntry[] {
  return outcomes.map((outcome) => ('report' in outcome
    ? { size: outcome.size, figures: outcome.report }
    : { size: outcome.size, error: briefly(firstLine(describeFailure(outcome.error))) }));
}

/** `--json`: an array of the per-size objects `model --json` prints; a failed size is `{ size, failed: true, error, modeled? }`. */
export function sweepJson(outcomes: readonly SweepOutcome[]): unknown[] {
  return outcomes.map((outcome) => {
    if ('report' in outcome) return modelJson(outcome.report);
    const modeled = (outcome.error as ModeledFailure).modelReport;
    return {
      size: outcome.size,
      failed: true,
      error: { name: (outcome.error as Error)?.name ?? 'Error', message: describeFailure(outcome.error) },
      ...(modeled ? { modeled: modelJson(modeled) } : {}),
    };
  });
}

/** A model report as `model --json` prints it: the timeline stays out (it is `--report`'s). */
export function modelJson(report: ModelReport): Omit<ModelReport, 'trace'> {
  const { trace: _trace, ...json } = report;
  return json;
}

/** The sweep as a text table, the cheapest and the fastest size marked, a failed size with why. */
export function sweepTable(outcomes: readonly SweepOutcome[]): string {
  const entries = sweepEntries(outcomes);
  const marks = sweepMarks(entries);
  const collectives = sweepCollectives(entries);
  const headers = ['ranks', 'start-up', 'run', 'clean-up', 'total', ...collectives, 'p2p', 'requests', 'cost', ''];
  const rows: string[][] = [];
  const failed = new Map<number, string>();
  for (const entry of entries) {
    const f = entry.figures;
    if (!f) {
      rows.push([grouped(entry.size)]);
      failed.set(rows.length - 1, entry.error);
      continue;
    }
    const requests = f.requests.sqs + f.requests.s3Put + f.requests.s3Get + f.requests.lambdaInvoke;
    rows.push([
      grouped(f.size),
      seconds(f.startupSeconds), seconds(f.runSeconds), seconds(f.cleanupSeconds), seconds(f.totalSeconds),
      ...collectives.map((name) => (f.collectives[name] ? seconds(f.collectives[name].seconds) : '–')),
      f.pointToPoint?.calls ? seconds(f.pointToPoint.seconds) : '–',
      grouped(requests),
      dollars(f.costUsd),
      [marks.cheapest === f.size ? 'cheapest' : '', marks.fastest === f.size ? 'fastest' : ''].filter(Boolean).join(', '),
    ]);
  }
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === headers.length - 1 ? cell : cell.padStart(widths[column]!))).join('  ').trimEnd();
  // A failed size keeps its place in the table: its row says why.
  return [line(headers), ...rows.map((row, index) => (failed.has(index) ? `${line(row)}  failed: ${failed.get(index)}` : line(row)))].join('\n');
}

function seconds(value: number): string {
  return `${value.toFixed(3)} s`;
}

export function dollars(value: number): string {
  return `$${value < 0.01 ? value.toPrecision(3) : value.toFixed(4)}`;
}

/** A row's reason stays a line: a timeout of 1,000 ranks names every one of them. */
const MAX_REASON_CHARS = 240;

function briefly(text: string): string {
  return text.length <= MAX_REASON_CHARS ? text : `${text.slice(0, MAX_REASON_CHARS - 1)}…`;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!;
}
