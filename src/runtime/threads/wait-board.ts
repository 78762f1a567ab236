import type { WaitDescription } from '../../mpi/p2p/wait-description.ts';
import { ForwardingTransport } from '../../transport/forwarding-transport.ts';
import type { Transport } from '../../transport/transport.ts';

/** What the board says about one rank. */
export type BoardEntry =
  | { state: 'running' }
  | { state: 'waiting'; wait: WaitDescription }
  | { state: 'finished' };

const FIELDS = 4; // state, operation, source, tag
const RUNNING = 0;
const WAITING = 1;
const FINISHED = 2;

/** The operations a rank can wait in, by code; one outside the list shows as "communication". */
const OPERATIONS = [
  'communication', 'recv', 'probe', 'sendrecv', 'barrier', 'bcast', 'scatter', 'gather', 'allgather',
  'alltoall', 'reduce', 'allreduce', 'scan', 'exscan', 'split', 'irecv', 'isend', 'issend',
  'createGroup', 'neighborAllgather', 'neighborAlltoall',
];

/**
 * What every rank of a threaded job is blocked on, in shared memory: each rank's thread writes
 * its own entry, and the thread that owns the job reads them all at any time, also while a rank
 * is stuck in synchronous code and could not answer a question (the watchdog, Ctrl-C).
 */
export class WaitBoard {
  private readonly cells: Int32Array;

  constructor(readonly memory: SharedArrayBuffer) {
    this.cells = new Int32Array(memory);
  }

  static create(size: number): WaitBoard {
    return new WaitBoard(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * FIELDS * size));
  }

  write(rank: number, wait: WaitDescription | undefined): void {
    const at = rank * FIELDS;
    if (wait) {
      Atomics.store(this.cells, at + 1, Math.max(0, OPERATIONS.indexOf(wait.operation)));
      Atomics.store(this.cells, at + 2, wait.source);
      Atomics.store(this.cells, at + 3, wait.tag);
    }
    Atomics.store(this.cells, at, wait ? WAITING : RUNNING);
  }

  /** The rank's program is over (returned, or stopped while it was not waiting). */
  finish(rank: number): void {
    Atomics.compareExchange(this.cells, rank * FIELDS, RUNNING, FINISHED);
  }

  read(rank: number): BoardEntry {
    const at = rank * FIELDS;
    const state = Atomics.load(this.cells, at);
    if (state === FINISHED) return { state: 'finished' };
    if (state === RUNNING) return { state: 'running' };
    return {
      state: 'waiting',
      wait: { operation: OPERATIONS[Atomics.load(this.cells, at + 1)]!, source: Atomics.load(this.cells, at + 2), tag: Atomics.load(this.cells, at + 3) },
    };
  }
}

/** A rank's transport that also writes what the rank waits on to the board. */
export class BoardedTransport extends ForwardingTransport {
  constructor(
    inner: Transport,
    private readonly board: WaitBoard,
  ) {
    super(inner);
  }

  override rankWaits(wait: WaitDescription | undefined): void {
    this.board.write(this.inner.rank, wait);
    this.inner.rankWaits?.(wait);
  }
}
