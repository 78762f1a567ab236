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
  /** Per source that has sent anything: a job of N ranks keeps state for its partners, not for all N. */
  private readonly nextExpected = new Map<number, number>();
  private readonly held = new Map<number, Map<number, Frame>>();

  constructor(
    private readonly size: number,
    private readonly deliver: (frame: Frame) => void,
  ) {}

  accept(frame: Frame): void {
    const source = frame.source;
    if (!Number.isInteger(source) || source < 0 || source >= this.size) return; // not a rank of this job: ignore rather than crash
    const expected = this.nextExpected.get(source) ?? 0;
    if (frame.seq < expected) {
      this.stats.duplicatesDropped++;
      return;
    }
    if (frame.seq > expected) {
      let held = this.held.get(source);
      if (!held) this.held.set(source, (held = new Map()));
      if (held.has(frame.seq)) this.stats.duplicatesDropped++;
      else {
        held.set(frame.seq, frame);
        this.stats.reorderedHeld++;
      }
      return;
    }
    this.nextExpected.set(source, expected + 1);
    this.deliver(frame);
    const held = this.held.get(source);
    if (!held) return;
    for (let next = expected + 1; held.has(next); next++) {
      const frame = held.get(next)!;
      held.delete(next);
      this.nextExpected.set(source, next + 1);
      this.deliver(frame);
    }
    if (held.size === 0) this.held.delete(source);
  }
}

/** The sending half: the next sequence number for each destination. */
export class SequenceCounter {
  private readonly next = new Map<number, number>();
  take(dest: number): number {
    const seq = this.next.get(dest) ?? 0;
    this.next.set(dest, seq + 1);
    return seq;
  }
}
