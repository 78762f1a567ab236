import type { Frame } from '../../transport/transport.ts';

export interface LinkStats {
  /** Frames dropped because their sequence number had already been delivered or buffered. */
  duplicatesDropped: number;
  /** Frames that arrived ahead of a gap and were held until the gap closed. */
  reorderedHeld: number;
}

/**
 * Exactly-once, in-order delivery per (source → this rank) stream, over a transport that may
 * duplicate and reorder: every sender numbers its frames per destination, and the receiver
 * delivers frame n only after 0..n-1, dropping any number it has seen.
 */
export class InOrderReceiver {
  readonly stats: LinkStats = { duplicatesDropped: 0, reorderedHeld: 0 };
  private readonly nextExpected: number[];
  private readonly held: Array<Map<number, Frame> | undefined>;

  constructor(
    size: number,
    private readonly deliver: (frame: Frame) => void,
  ) {
    this.nextExpected = new Array(size).fill(0);
    this.held = new Array(size).fill(undefined);
  }

  accept(frame: Frame): void {
    const source = frame.source;
    const expected = this.nextExpected[source];
    if (expected === undefined) return; // not a rank of this job: ignore rather than crash
    if (frame.seq < expected) {
      this.stats.duplicatesDropped++;
      return;
    }
    if (frame.seq > expected) {
      let held = this.held[source];
      if (!held) held = this.held[source] = new Map();
      if (held.has(frame.seq)) this.stats.duplicatesDropped++;
      else {
        held.set(frame.seq, frame);
        this.stats.reorderedHeld++;
      }
      return;
    }
    this.nextExpected[source] = expected + 1;
    this.deliver(frame);
    const held = this.held[source];
    if (!held) return;
    for (let next = expected + 1; held.has(next); next++) {
      const frame = held.get(next)!;
      held.delete(next);
      this.nextExpected[source] = next + 1;
      this.deliver(frame);
    }
  }
}

/** The sending half: the next sequence number for each destination. */
export class SequenceCounter {
  private readonly next: number[];
  constructor(size: number) {
    this.next = new Array(size).fill(0);
  }
  take(dest: number): number {
    return this.next[dest]!++;
  }
}
