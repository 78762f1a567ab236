import type { MessagePort } from 'node:worker_threads';
import type { VectorReduction } from '../../mpi/comm/vector-reductions.ts';
import type { RemoteRankTransportSpec } from '../../transport/job-transports.ts';
import type { FaultSchedule } from '../../transport/fault-injection.ts';
import type { PeerChannel } from '../../transport/threads/thread-fabric.ts';
import type { OutputLine } from '../output.ts';
import type { WireError } from './error-wire.ts';
import type { BlockedRank } from '../../mpi/deadlock-error.ts';

/** How a rank's thread reaches the other ranks. */
export type RankThreadTransport =
  | { kind: 'threads'; doorbells: SharedArrayBuffer; spinMs: number }
  | RemoteRankTransportSpec;

/** What a thread of a job's ranks is started with (workerData): the job's part once, and each rank's. */
export interface ThreadData {
  job: JobThreadData;
  ranks: RankThreadData[];
}

/** What every rank of the job is started with: plain data. */
export interface JobThreadData {
  jobId: string;
  size: number;
  timeoutMs: number;
  processorName: string;
  vectorReduction: VectorReduction;
  /** The job's input, serialized once by the caller; every rank deserializes its own copy. */
  input: Uint8Array;
  program: {
    /** The bundled module to import (file: URL). */
    url: string;
    /** The user's own path, for error messages. */
    path: string;
    bundledName?: string;
  };
  transport: RankThreadTransport;
  faults?: FaultSchedule;
  board: SharedArrayBuffer;
  /** Whether to forward each output line as it is printed (the caller watches live). */
  streamOutput: boolean;
  /** Whether the rank records its MPI calls for the job's timeline (runLocal's `trace`). */
  trace: boolean;
  /** Generations (runLocal's generationSeconds) and the folder of the checkpoints when the transport keeps none. */
  generations: ThreadGenerations;
}

/** What one rank is started with: its rank and its end of its channel to the thread that owns the job. */
export interface RankThreadData {
  rank: number;
  control: MessagePort;
}

/** A job's generations as plain data for its ranks' threads. */
export interface ThreadGenerations {
  limitMs?: number;
  folder?: string;
  /** Where the ranks start (a retry: from the last complete checkpoint). */
  generation?: number;
  restoreFrom?: number;
}

/** From a rank's thread to the thread that owns the job. */
export type FromRank =
  | { type: 'loaded' }
  | { type: 'load-failed'; error: WireError }
  | { type: 'output'; line: OutputLine }
  | { type: 'connect'; peer: number }
  | { type: 'pong' }
  /** Rank 0 only: the job's end, its RunResult encoded by the codec, or its error. */
  | { type: 'settled'; ok: true; result: Uint8Array }
  | { type: 'settled'; ok: false; error: WireError };

/** From the thread that owns the job to a rank's thread. */
export type ToRank =
  /** Every rank has loaded the program: run it. The job's deadline counts from here. */
  | { type: 'start'; deadline: number }
  | { type: 'ping' }
  /** Rank 0 only: every live rank is blocked and nothing is in flight (the owner's deadlock watch): fail the job. */
  | { type: 'deadlock'; blocked: BlockedRank[] }
  | PeerChannel;
