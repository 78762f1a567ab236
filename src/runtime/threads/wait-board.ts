import { COLLECTIVE_NAMES } from '../../mpi/comm/collective-channel.ts';
import { ANY_SOURCE } from '../../mpi/constants.ts';
import type { WaitDescription } from '../../mpi/p2p/wait-description.ts';
import { ForwardingTransport } from '../../transport/forwarding-transport.ts';
import type { Delivery, Frame, Transport } from '../../transport/transport.ts';

/** What the board says about one rank. */
export type BoardEntry =
  | { state: 'running' }
  | { state: 'waiting'; wait: WaitDescription }
  | { state: 'finished' };

/**
 * Per rank: state, operation, source, tag, peer (the world rank waited on), then the counters
 * the deadlock watch reads (deadlock-watch.ts): changes of the wait, data frames sent to this
 * rank by anyone, data frames this rank's transport handed up, and whether its program ended.
 */
const FIELDS = 9;
const STATE = 0;
const OPERATION = 1;
const SOURCE = 2;
const TAG = 3;
const PEER = 4;
const CHANGES = 5;
const SENT_TO = 6;
const TAKEN = 7;
const ENDED = 8;

const RUNNING = 0;
const WAITING = 1;
const FINISHED = 2;

/** The operations a rank can wait in, by code; one outside the list shows as "communication". */
const OPERATIONS = [
  'communication', 'recv', 'probe', 'sendrecv', 'irecv', 'isend', 'issend', 'recvInto', 'irecvInto',
  ...COLLECTIVE_NAMES.flatMap((name) => [name, `i${name}`]),
];

/** Each operation's code, found without walking the list on every wait. */
const OPERATION_CODES = new Map(OPERATIONS.map((operation, code) => [operation, code]));

/** One rank's counters, read in one go (deadlock-watch.ts). */
export interface TrafficEntry {
  entry: BoardEntry;
  /** Every counter of the rank added up: each only grows, so equal sums mean nothing changed. */
  activity: number;
  /** Data frames sent to this rank that its transport has not handed up yet. */
  inFlight: number;
  /** Its program returned or threw: it waits on nothing any more, and frames to it are not awaited. */
  ended: boolean;
}

/**
 * What every rank of a job is blocked on, in memory every rank's thread can write: each rank
 * writes its own entry, and the job's owner reads them all at any time, also while a rank is
 * stuck in synchronous code and could not answer a question (the watchdog, Ctrl-C). The same
 * board over ordinary memory serves ranks that share one thread (the deadlock watch in-process).
 */
export class WaitBoard {
  private readonly cells: Int32Array;

  constructor(readonly memory: SharedArrayBuffer | ArrayBuffer) {
    this.cells = new Int32Array(memory);
  }

  static create(size: number, shared = true): WaitBoard {
    const bytes = Int32Array.BYTES_PER_ELEMENT * FIELDS * size;
    return new WaitBoard(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  }

  get size(): number {
    return this.cells.length / FIELDS;
  }

  write(rank: number, wait: WaitDescription | undefined): void {
    const at = rank * FIELDS;
    if (wait) {
      Atomics.store(this.cells, at + OPERATION, OPERATION_CODES.get(wait.operation) ?? 0);
      Atomics.store(this.cells, at + SOURCE, wait.source);
      Atomics.store(this.cells, at + TAG, wait.tag);
      Atomics.store(this.cells, at + PEER, wait.peer ?? ANY_SOURCE);
    }
    Atomics.store(this.cells, at + STATE, wait ? WAITING : RUNNING);
    Atomics.add(this.cells, at + CHANGES, 1);
  }

  /** The rank's program is over (returned, or stopped while it was not waiting). */
  finish(rank: number): void {
    Atomics.compareExchange(this.cells, rank * FIELDS + STATE, RUNNING, FINISHED);
  }

  /** The rank's program returned or threw (a wait it left behind stays shown, but it is not live). */
  ended(rank: number): void {
    Atomics.store(this.cells, rank * FIELDS + ENDED, 1);
  }

  sentTo(dest: number): void {
    Atomics.add(this.cells, dest * FIELDS + SENT_TO, 1);
  }

  took(rank: number): void {
    Atomics.add(this.cells, rank * FIELDS + TAKEN, 1);
  }

  read(rank: number): BoardEntry {
    const at = rank * FIELDS;
    const state = Atomics.load(this.cells, at + STATE);
    if (state === FINISHED) return { state: 'finished' };
    if (state === RUNNING) return { state: 'running' };
    const peer = Atomics.load(this.cells, at + PEER);
    return {
      state: 'waiting',
      wait: {
        operation: OPERATIONS[Atomics.load(this.cells, at + OPERATION)]!,
        source: Atomics.load(this.cells, at + SOURCE),
        tag: Atomics.load(this.cells, at + TAG),
        ...(peer === ANY_SOURCE ? {} : { peer }),
      },
    };
  }

  traffic(rank: number): TrafficEntry {
    const at = rank * FIELDS;
    const changes = Atomics.load(this.cells, at + CHANGES);
    const sentTo = Atomics.load(this.cells, at + SENT_TO);
    const taken = Atomics.load(this.cells, at + TAKEN);
    const ended = Atomics.load(this.cells, at + ENDED);
    return { entry: this.read(rank), activity: changes + sentTo + taken + ended, inFlight: sentTo - taken, ended: ended === 1 };
  }
}

/**
 * A rank's transport that writes what the rank waits on to the board, and counts the data
 * frames it sends (to their destination's entry) and receives. It wraps the transport that moves
 * the frames, beneath any wrapper that holds or repeats them (fault injection), so each frame is
 * counted once on each side: what is sent and not yet taken is in flight.
 */
export class BoardedTransport extends ForwardingTransport {
  constructor(
    inner: Transport,
    private readonly board: WaitBoard,
  ) {
    super(inner);
  }

  override send(frame: Frame): Promise<void> {
    if (frame.kind === 'data') this.board.sentTo(frame.dest);
    return this.inner.send(frame);
  }

  override start(deliver: (frame: Frame) => Delivery, onError: (error: Error) => void): void {
    const { board } = this;
    const rank = this.inner.rank;
    this.inner.start((frame) => {
      if (frame.kind === 'data') board.took(rank);
      return deliver(frame);
    }, onError);
  }

  override rankWaits(wait: WaitDescription | undefined): void {
    this.board.write(this.inner.rank, wait);
    this.inner.rankWaits?.(wait);
  }
}
