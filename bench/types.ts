/**
 * The shapes every bench section shares: a section measures something and returns rows; the
 * report turns rows into the table and the JSON file.
 */

/** Which direction is better for a metric: times are 'lower', throughputs 'higher'. */
export type Better = 'lower' | 'higher';

/**
 * A goal for a row, stated against the row's reference (mpi4py, or its `baseline`): the row
 * passes when its ratio (lambda-mpi cost over the reference's cost, see report.ts) is at most
 * `maxRatio`.
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
  /**
   * For rows compared with something other than mpi4py (e.g. the plain AWS SDK on the same local
   * servers): what the reference is and its figure. When present, the ratio and the target are
   * against it, not against `mpi4py`.
   */
  baseline?: Baseline;
  target?: Target;
  /**
   * Share of all CPUs' time that other processes took while each column was measured
   * (bench/machine-load.ts); above BUSY_WARNING_FRACTION the table marks the figure.
   */
  othersCpuBusy?: { lambdaMpi?: number; mpi4py?: number; baseline?: number };
  /** Anything else worth keeping in the JSON (samples, parameters, memory). */
  detail?: Record<string, unknown>;
}

/** A non-mpi4py reference figure for a row. */
export interface Baseline {
  /** Short name for the table, e.g. "raw SDK, delete awaited". */
  name: string;
  /** What exactly was measured, printed under the table once per name. */
  description: string;
  /** The figure, in the row's unit; null when it could not be measured. */
  value: number | null;
}

/** Whether the reference implementation can run here, found once per bench run. */
export type Mpi4pyAvailability =
  | { available: true; python: string; mpirun: string; mpi4pyVersion: string; buffers: string }
  | { available: false; reason: string };

export interface SectionContext {
  /** Fewer repetitions and iterations: a smoke run, not a measurement. */
  quick: boolean;
  /** Only these cases of cases.ts (by id, e.g. "alltoallv-1MiB.np8"), and no other rows; absent: everything. */
  cases?: ReadonlySet<string>;
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
