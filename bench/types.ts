/**
 * The shapes every bench section shares: a section measures something and returns rows; the
 * report turns rows into the table and the JSON file.
 */

/** Which direction is better for a metric: times are 'lower', throughputs 'higher'. */
export type Better = 'lower' | 'higher';

/**
 * A goal for a row, stated against the reference (mpi4py): the row passes when its ratio
 * (lambda-mpi cost over mpi4py cost, see report.ts) is at most `maxRatio`.
 */
export interface Target {
  maxRatio: number;
  /** How the table shows it, e.g. "≤ 5x mpi4py". */
  label: string;
}

/** One measured figure. */
export interface Row {
  /** Stable key for comparing runs, e.g. "memory.pingpong-object.np2". */
  id: string;
  /** The section that produced it. */
  section: string;
  /** Human label, e.g. "object ping-pong, half round trip (2 ranks)". */
  metric: string;
  unit: string;
  better: Better;
  /** lambda-mpi's figure; null when it could not be measured. */
  lambdaMpi: number | null;
  /** The same figure from mpi4py on this machine; null when not available for this row. */
  mpi4py: number | null;
  target?: Target;
  /** Anything else worth keeping in the JSON (samples, parameters, memory). */
  detail?: Record<string, unknown>;
}

/** Whether the reference implementation can run here, found once per bench run. */
export type Mpi4pyAvailability =
  | { available: true; python: string; mpirun: string; mpi4pyVersion: string; buffers: string }
  | { available: false; reason: string };

export interface SectionContext {
  /** Fewer repetitions and iterations: a smoke run, not a measurement. */
  quick: boolean;
  mpi4py: Mpi4pyAvailability;
  /** Progress for the person watching (stderr): the table goes to stdout. */
  log(line: string): void;
}

/** A group of measurements that `npm run bench -- --only <name>` can run alone. */
export interface Section {
  name: string;
  description: string;
  run(context: SectionContext): Promise<Row[]>;
}
