import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BUSY_WARNING_FRACTION, percent } from './machine-load.ts';
import type { Mpi4pyAvailability, Row } from './types.ts';

/**
 * The bench's output: the table on stdout and the JSON record under bench/results/.
 *
 * Ratio convention: lambda-mpi's cost over the reference's (mpi4py, or the row's baseline such as
 * the plain AWS SDK), whichever way the metric points, so a ratio above 1 always means lambda-mpi
 * is slower. For times (lower is better) that is lambda-mpi / reference; for throughputs (higher
 * is better) it is reference / lambda-mpi.
 */
export const RATIO_CONVENTION =
  'ratio = lambda-mpi cost / reference cost (reference = mpi4py, or the baseline the row names): > 1 means lambda-mpi is slower (times: lambda-mpi/reference; GB/s, msg/s: reference/lambda-mpi)';

export type Status = 'PASS' | 'MISS' | 'n/a';

export interface ReportedRow extends Row {
  ratio: number | null;
  status: Status | null;
}

export interface SectionOutcome {
  name: string;
  description: string;
  seconds: number;
  error?: string;
}

/** The figure a row is compared with: its baseline's when it has one, else mpi4py's. */
export function referenceOf(row: Row): number | null {
  return row.baseline ? row.baseline.value : row.mpi4py;
}

export function ratioOf(row: Row): number | null {
  const reference = referenceOf(row);
  if (row.lambdaMpi === null || reference === null || row.lambdaMpi <= 0 || reference <= 0) return null;
  return row.better === 'lower' ? row.lambdaMpi / reference : reference / row.lambdaMpi;
}

export function withVerdicts(rows: Row[]): ReportedRow[] {
  return rows.map((row) => {
    const ratio = ratioOf(row);
    let status: Status | null = null;
    if (row.target) status = ratio === null ? 'n/a' : ratio <= row.target.maxRatio ? 'PASS' : 'MISS';
    return { ...row, ratio, status };
  });
}

function figure(value: number | null): string {
  if (value === null) return '—';
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function table(headers: string[], lines: string[][], rightAligned: Set<number>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) =>
    cells.map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [render(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}

/** A figure measured while other work took more than BUSY_WARNING_FRACTION of the CPUs. */
const DISTURBED_MARK = '*';

function disturbed(share: number | undefined): boolean {
  return share !== undefined && share > BUSY_WARNING_FRACTION;
}

export function formatTable(rows: ReportedRow[], mpi4py: Mpi4pyAvailability): string {
  const out: string[] = [];
  out.push(`lambda-mpi bench — node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'})`);
  const withBaseline = rows.some((row) => row.baseline);
  const mpi4pyRows = rows.some((row) => !row.baseline);
  if (mpi4py.available && mpi4pyRows) {
    out.push(`mpi4py ${mpi4py.mpi4pyVersion} via ${mpi4py.mpirun} --oversubscribe, ${mpi4py.python}, buffers: ${mpi4py.buffers}`);
    out.push('lambda-mpi runs every rank on one thread of this process (memory rows) or each in a worker thread (threads rows); mpi4py runs one process per rank.');
  } else if (!mpi4py.available && mpi4pyRows) {
    out.push(
      `mpi4py not measured: ${mpi4py.reason}. ` +
      (withBaseline ? 'Rows compared with mpi4py have no reference; their targets are n/a.' : 'Showing the lambda-mpi column only; targets are n/a.'),
    );
  }
  const shares = rows.flatMap((row) => [row.othersCpuBusy?.lambdaMpi, row.othersCpuBusy?.mpi4py, row.othersCpuBusy?.baseline]).filter(disturbed) as number[];
  if (shares.length > 0) {
    out.push(
      `warning: ${DISTURBED_MARK} marks figures measured while other processes took up to ${percent(Math.max(...shares))} ` +
      `of the CPUs (even after one retry): they may be skewed, mpi4py's most`,
    );
  }
  const showReference = mpi4py.available || withBaseline;
  if (showReference) out.push(RATIO_CONVENTION);
  out.push('');
  // Unmarked figures get a space where the mark would be, so the column stays aligned.
  const mark = (share: number | undefined) => (disturbed(share) ? DISTURBED_MARK : shares.length > 0 ? ' ' : '');
  const columns: Array<{ header: string; right?: boolean; cell(row: ReportedRow): string }> = [
    { header: 'metric', cell: (row) => row.metric },
    { header: 'unit', cell: (row) => row.unit },
    { header: 'lambda-mpi', right: true, cell: (row) => figure(row.lambdaMpi) + mark(row.othersCpuBusy?.lambdaMpi) },
  ];
  // Without mpi4py or a baseline there is nothing to compare with: the lambda-mpi column only.
  if (showReference) {
    columns.push(
      {
        header: 'reference',
        right: true,
        cell: (row) => figure(referenceOf(row)) + mark(row.baseline ? row.othersCpuBusy?.baseline : row.othersCpuBusy?.mpi4py),
      },
      { header: 'ratio', right: true, cell: (row) => (row.ratio === null ? '—' : `${row.ratio.toFixed(2)}x`) },
      { header: 'reference is', cell: (row) => row.baseline?.name ?? (mpi4py.available ? 'mpi4py' : 'mpi4py (not run)') },
    );
  }
  columns.push(
    { header: 'target', cell: (row) => row.target?.label ?? '' },
    { header: 'status', cell: (row) => row.status ?? '' },
  );
  out.push(table(
    columns.map((c) => c.header),
    rows.map((row) => columns.map((c) => c.cell(row))),
    new Set(columns.flatMap((c, i) => (c.right ? [i] : []))),
  ));
  // What each baseline is, once per name.
  const described = new Map<string, string>();
  for (const row of rows) if (row.baseline && !described.has(row.baseline.name)) described.set(row.baseline.name, row.baseline.description);
  if (described.size > 0) {
    out.push('', 'references other than mpi4py:');
    for (const [name, description] of described) out.push(`  ${name}: ${description}`);
  }
  return out.join('\n');
}

export interface RunRecord {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  argv: string[];
  quick: boolean;
  convention: string;
  environment: Environment & { loadAverage1mAtEnd: number; othersCpuBusyDuringRun: number | undefined };
  mpi4py: Mpi4pyAvailability;
  sections: SectionOutcome[];
  rows: ReportedRow[];
}

export interface Environment {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string | undefined;
  totalMemGiB: number;
  loadAverage1m: number;
}

export function environment(): Environment {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim(),
    totalMemGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage1m: loadavg()[0],
  };
}

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** Writes bench/results/<timestamp>.json and bench/results/latest.json; returns the first path. */
export function writeRecord(record: RunRecord): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = record.startedAt.replace(/[:.]/g, '-');
  const text = `${JSON.stringify(record, null, 2)}\n`;
  const path = `${RESULTS_DIR}${stamp}.json`;
  writeFileSync(path, text);
  writeFileSync(`${RESULTS_DIR}latest.json`, text);
  return path;
}
