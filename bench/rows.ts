import { measureQuietly } from './machine-load.ts';
import type { Baseline, Better, Row, SectionContext, Target } from './types.ts';
import { collectGarbage } from './garbage.ts';

/**
 * How a section turns measurements into table rows, the same way for every section: each
 * measurement runs once and yields named figures (for the table) and samples (for the JSON); each
 * row is a description that names which figures it compares, rendered by `buildRow`.
 */

/** Something to measure, and how to read its result. */
export interface Measurement<T> {
  id: string;
  /** Progress label. */
  label: string;
  run(): Promise<T>;
  /** The figures rows may show, by name, in their rows' units. */
  figures(value: T): Record<string, number>;
  /** What the JSON record keeps of the result. */
  samples(value: T): Record<string, unknown>;
}

/** A measurement's result; one that failed costs only the figures of its own rows. */
export type Outcome =
  | { ok: true; figures: Record<string, number>; samples: Record<string, unknown>; othersBusy: number | undefined; attempts: number }
  | { ok: false; error: string };

/**
 * Runs a measurement (again, once, when other work disturbed it: machine-load.ts). `ownPids`:
 * processes whose CPU time belongs to the measurement (e.g. the local servers).
 */
export async function measure<T>(m: Measurement<T>, context: SectionContext, ownPids: readonly number[] = []): Promise<Outcome> {
  context.log(m.label);
  collectGarbage();
  try {
    const { value, othersBusy, attempts } = await measureQuietly(m.label, () => m.run(), context.log, ownPids);
    return { ok: true, figures: m.figures(value), samples: m.samples(value), othersBusy, attempts };
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    context.log(`${m.label} failed: ${message}`);
    return { ok: false, error: message };
  }
}

/** A figure of a measurement: its id and the figure's name. */
export type FigureOf = readonly [measurement: string, figure: string];

/** One row of the table, as data. */
export interface RowSpec {
  /** Stable across runs: what other runs, docs and comments cite. */
  id: string;
  metric: string;
  unit: string;
  better: Better;
  lambdaMpi: FigureOf;
  /** What the row compares with: mpi4py on this machine, or a named baseline (e.g. the plain AWS SDK). */
  reference: { mpi4py: FigureOf } | { baseline: Omit<Baseline, 'value'>; figure: FigureOf };
  target?: Target;
  /** Parameters worth keeping in the JSON record. */
  params?: Record<string, unknown>;
}

export function buildRow(section: string, spec: RowSpec, outcomes: ReadonlyMap<string, Outcome>): Row {
  const lambdaMpi = outcomes.get(spec.lambdaMpi[0]);
  const referenceOf = 'mpi4py' in spec.reference ? spec.reference.mpi4py : spec.reference.figure;
  const reference = outcomes.get(referenceOf[0]);
  const referenceKey = 'mpi4py' in spec.reference ? 'mpi4py' : 'baseline';
  const othersCpuBusy: NonNullable<Row['othersCpuBusy']> = {};
  if (lambdaMpi?.ok && lambdaMpi.othersBusy !== undefined) othersCpuBusy.lambdaMpi = lambdaMpi.othersBusy;
  if (reference?.ok && reference.othersBusy !== undefined) othersCpuBusy[referenceKey] = reference.othersBusy;
  return {
    id: spec.id,
    section,
    metric: spec.metric,
    unit: spec.unit,
    better: spec.better,
    lambdaMpi: figure(lambdaMpi, spec.lambdaMpi),
    mpi4py: 'mpi4py' in spec.reference ? figure(reference, referenceOf) : null,
    ...('baseline' in spec.reference ? { baseline: { ...spec.reference.baseline, value: figure(reference, referenceOf) } } : {}),
    ...(spec.target ? { target: spec.target } : {}),
    ...(Object.keys(othersCpuBusy).length ? { othersCpuBusy } : {}),
    detail: {
      ...(spec.params ? { params: spec.params } : {}),
      lambdaMpi: detail(lambdaMpi),
      ...(reference ? { [referenceKey]: detail(reference) } : {}),
    },
  };
}

function figure(outcome: Outcome | undefined, [, name]: FigureOf): number | null {
  return outcome?.ok ? (outcome.figures[name] ?? null) : null;
}

function detail(outcome: Outcome | undefined): Record<string, unknown> | undefined {
  if (!outcome) return undefined;
  return outcome.ok ? { ...outcome.samples, attempts: outcome.attempts, othersCpuBusy: outcome.othersBusy } : { error: outcome.error };
}
