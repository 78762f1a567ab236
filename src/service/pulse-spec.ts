import type { MessagePort } from 'node:worker_threads';
import type { AwsSettings } from '../config.ts';

/** What a pulse thread is started with (pulse.ts), and the memory it shares with its rank's thread. */
export interface PulseSpec {
  kind: 'lambda-mpi/pulse';
  jobId: string;
  rank: number;
  aws: AwsSettings;
  /** The rank thread's clock, the job's ending, the rank's newest stored event (TICK_SLOT, ENDING_SLOT, SENT_SLOT). */
  shared: BigInt64Array;
  /** A worker's own queue: while it exists the job is on (rank 0 deletes the queues when the job ends). */
  queueUrl?: string;
  /** A worker's pulse vouches for its rank once no event of the rank was stored for this long. */
  quietAfterMs?: number;
  /**
   * How a rank still running code after its job ended is stopped: the process is ended where it is
   * the function's own execution environment (on Lambda); in an emulator whose one process serves
   * every function, the function's thread is ended through this port when the emulator offers one
   * (thread-ending.ts); else it runs on.
   */
  endProcess: boolean;
  endThread?: MessagePort;
  /** The function's bundle (a file: URL), which runs the pulse when loaded in its thread. */
  entry: string;
  /** Load the bundle only once the rank has not ticked for this long, or is quiet (a worker's pulse). */
  loadWhenBusyMs?: number;
  takeover?: {
    /** Epoch ms. */
    deadline: number;
    timeoutMs: number;
    /** Rank 0 waits this long after the deadline for the others' reports; the pulse waits longer. */
    graceMs: number;
    size: number;
    queueUrlBase: string;
  };
}

/** The rank's thread is busy when its clock has not moved for this long (it ticks every 250 ms). */
export const BUSY_AFTER_MS = 2_000;
/** A busy worker's marker is rewritten this often: well within rank 0's silence limit. */
export const BUSY_EVERY_MS = 2_000;

/** Slots of the shared memory: the rank thread's last tick (epoch ms), who owns the job's ending, and the rank's last stored event. */
export const TICK_SLOT = 0;
export const ENDING_SLOT = 1;
/** The stamp of the rank's newest batch of events stored on its way to rank 0 (a worker's). */
export const SENT_SLOT = 2;
export const SLOTS = 3;
export const ENDING_OPEN = 0n;
export const ENDING_BY_RANK = 1n;
export const ENDING_BY_PULSE = 2n;

/** What the thread's launcher (pulse.ts) shares with the pulse once the bundle runs. */
export interface PulseState {
  /** A stop came while the bundle loaded. */
  stopRequested: boolean;
  /** Set by the pulse: how a later stop reaches it. */
  onStop?: () => void;
  /** Set by the pulse once it runs: from then on it vouches, not the launcher. */
  takenOver: boolean;
  /** When the launcher last stored the busy marker (epoch ms), if it did. */
  vouchedAt?: number;
  /** The launcher's write in flight, which a stop waits for. */
  writing?: Promise<void>;
}

export const PULSE_STATE = Symbol.for('lambda-mpi.pulse');
