import type { AwsSettings } from '../config.ts';

/** What a pulse thread is started with (pulse.ts), and the memory it shares with its rank's thread. */
export interface PulseSpec {
  kind: 'lambda-mpi/pulse';
  jobId: string;
  rank: number;
  aws: AwsSettings;
  /** The rank thread's clock and the job's ending (TICK_SLOT, ENDING_SLOT). */
  shared: BigInt64Array;
  /** The function's bundle (a file: URL), which runs the pulse when loaded in its thread. */
  entry: string;
  /** Load the bundle only once the rank has not ticked for this long (a worker's pulse). */
  loadWhenBusyMs?: number;
  takeover?: {
    /** Epoch ms. */
    deadline: number;
    timeoutMs: number;
    /** Rank 0 waits this long after the deadline for the others' reports; the pulse waits longer. */
    graceMs: number;
    size: number;
    queueUrlBase: string;
    /**
     * After ending the job, end the process if rank 0 still does not yield: only where the
     * process is the function's own execution environment (on Lambda), never in an emulator
     * whose one process serves every function.
     */
    endProcess: boolean;
  };
}

/** Slots of the shared memory: the rank thread's last tick (epoch ms), and who owns the job's ending. */
export const TICK_SLOT = 0;
export const ENDING_SLOT = 1;
export const ENDING_OPEN = 0n;
export const ENDING_BY_RANK = 1n;
export const ENDING_BY_PULSE = 2n;

/** What the thread's launcher (pulse.ts) shares with the pulse once the bundle runs. */
export interface PulseState {
  /** A stop came while the bundle loaded. */
  stopRequested: boolean;
  /** Set by the pulse: how a later stop reaches it. */
  onStop?: () => void;
}

export const PULSE_STATE = Symbol.for('lambda-mpi.pulse');
