import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BUSY_WARNING_FRACTION } from './machine-load.ts';
import type { Mpi4pyAvailability, Row } from './types.ts';

/**
 * The bench's output: the table on stdout and the JSON record under bench/results/.
 *
 * Ratio convention: lambda-mpi's cost over mpi4py's, whichever way the metric points, so a
 * ratio above 1 always means lambda-mpi is slower. For times (lower is better) that is
 * lambda-mpi / mpi4py; for throughputs (higher is better) it is mpi4py / lambda-mpi.
 */
export const RATIO_CONVENTION =
  'ratio = lambda-mpi cost / mpi4py cost: > 1 means lambda-mpi is slower (times: lambda-mpi/mpi4py; GB/s: mpi4py/lambda-mpi)';

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

export function ratioOf(row: Row): number | null {
  if (row.lambdaMpi === null || row.mpi4py === null || row.lambdaMpi <= 0 || row.mpi4py <= 0) return null;
  return row.better === 'lower' ? row.lambdaMpi / row.mpi4py : row.mpi4py / row.lambdaMpi;
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

export function formatTable(rows: ReportedRow[], mpi4py: Mpi4pyAvailability, othersBusy: { start: number; end: number }): string {
  const out: string[] = [];
  out.push(`lambda-mpi bench — node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'})`);
  if (mpi4py.available) {
    out.push(`mpi4py ${mpi4py.mpi4pyVersion} via ${mpi4py.mpirun} --oversubscribe, ${mpi4py.python}, buffers: ${mpi4py.buffers}`);
    out.push('lambda-mpi runs every rank on one thread of this process; mpi4py runs one process per rank.');
  } else {
    out.push(`mpi4py not measured: ${mpi4py.reason}. Showing the lambda-mpi column only; targets are n/a.`);
  }
  if (Math.max(othersBusy.start, othersBusy.end) > BUSY_WARNING_FRACTION) {
    const percent = (f: number) => `${Math.round(f * 100)}%`;
    out.push(`warning: other work kept the CPUs ${percent(othersBusy.start)} busy before the run and ${percent(othersBusy.end)} after it: figures may be skewed (mpi4py's most)`);
  }
  if (mpi4py.available) out.push(RATIO_CONVENTION);
  out.push('');
  const columns: Array<{ header: string; right?: boolean; cell(row: ReportedRow): string }> = [
    { header: 'metric', cell: (row) => row.metric },
    { header: 'unit', cell: (row) => row.unit },
    { header: 'lambda-mpi', right: true, cell: (row) => figure(row.lambdaMpi) },
  ];
  // Without mpi4py there is nothing to compare with: the lambda-mpi column only.
  if (mpi4py.available) {
    columns.push(
      { header: 'mpi4py', right: true, cell: (row) => figure(row.mpi4py) },
      { header: 'ratio', right: true, cell: (row) => (row.ratio === null ? '—' : `${row.ratio.toFixed(2)}x`) },
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
  return out.join('\n');
}

export interface RunRecord {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  argv: string[];
  quick: boolean;
  convention: string;
  environment: Environment & { loadAverage1mAtEnd: number; othersCpuBusyAtStart: number; othersCpuBusyAtEnd: number };
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
