import type { Delivery, Frame, RejectedMessages } from '../../transport/transport.ts';

/**
 * How far ahead of the next expected frame from a source a frame may be and still be held:
 * frames numbered more than REORDER_WINDOW past it are refused (Delivery `later`), so what one
 * source can make a rank hold is bounded by a count, whatever it sends.
 *
 * Large enough that no honest transport's reordering reaches it: memory delivers in order; between
 * threads the most small frames that can overtake one frame on a port is what a 64 KiB ring
 * holds (≈ 2,700 records of ≥ 24 bytes); over SQS a gap is one delayed message, and a burst packed
 * into the messages after it rarely holds more. Small enough to cap a flood: 8,192 held frames of
 * a few hundred bytes each are a few MB, against the unbounded buffer's +440 MB for a million.
 * Over SQS a refused frame is still safe: its message is left undeleted and comes back shortly
 * (aws-transport.ts), so exactly-once holds even for a sender that got further ahead.
 */
export const REORDER_WINDOW = 8_192;

/** What the link layer saw of its frames. */
export interface ReorderStats {
  /** Frames dropped because their sequence number had already been delivered or buffered. */
  duplicatesDropped: number;
  /** Frames that arrived ahead of a gap and were held until the gap closed. */
  reorderedHeld: number;
  /** The most frames held at once (in a RunResult: the most any one rank held). */
  mostHeld: number;
  /**
   * Frames refused for being more than REORDER_WINDOW ahead of their source's next expected one:
   * over SQS they come back later and are counted again; elsewhere they are dropped.
   */
  beyondWindow: number;
}

/** A rank's link statistics: the link layer's, and what its transport refused before it. */
export interface LinkStats extends ReorderStats {
  rejected: RejectedMessages;
}

export function emptyLinkStats(): LinkStats {
  return { duplicatesDropped: 0, reorderedHeld: 0, mostHeld: 0, beyondWindow: 0, rejected: noRejections() };
}

export function noRejections(): RejectedMessages {
  return { malformed: 0, unauthentic: 0, badClaim: 0 };
}

/** Adds `more` (another rank's stats) into `into`: counts add up, the most held is the larger. */
export function addLinkStats(into: LinkStats, more: Partial<LinkStats>): LinkStats {
  into.duplicatesDropped += more.duplicatesDropped ?? 0;
  into.reorderedHeld += more.reorderedHeld ?? 0;
  into.beyondWindow += more.beyondWindow ?? 0;
  into.mostHeld = Math.max(into.mostHeld, more.mostHeld ?? 0);
  for (const why of Object.keys(into.rejected) as Array<keyof RejectedMessages>) into.rejected[why] += more.rejected?.[why] ?? 0;
  return into;
}

/**
 * Exactly-once, in-order delivery per (source → this rank) stream, over a transport that may
 * duplicate and reorder: every sender numbers its frames per destination, and the receiver
 * delivers frame n only after 0..n-1, dropping any number it has seen and holding at most
 * REORDER_WINDOW frames ahead of the next expected one per source.
 */
export class InOrderReceiver {
  readonly stats: ReorderStats = { duplicatesDropped: 0, reorderedHeld: 0, mostHeld: 0, beyondWindow: 0 };
  /** Per source that has sent anything: a job of N ranks keeps state for its partners, not for all N. */
  private readonly nextExpected = new Map<number, number>();
  private readonly held = new Map<number, Map<number, Frame>>();
  private heldCount = 0;

  constructor(
    private readonly size: number,
    private readonly deliver: (frame: Frame) => void,
    private readonly window = REORDER_WINDOW,
  ) {}

  accept(frame: Frame): Delivery {
    const source = frame.source;
    if (!Number.isInteger(source) || source < 0 || source >= this.size) return 'taken'; // not a rank of this job: ignore rather than crash
    const expected = this.nextExpected.get(source) ?? 0;
    if (frame.seq < expected) {
      this.stats.duplicatesDropped++;
      return 'taken';
    }
    if (frame.seq > expected) {
      if (frame.seq - expected > this.window) {
        this.stats.beyondWindow++;
        return 'later';
      }
      let held = this.held.get(source);
      if (!held) this.held.set(source, (held = new Map()));
      if (held.has(frame.seq)) this.stats.duplicatesDropped++;
      else {
        held.set(frame.seq, frame);
        this.stats.reorderedHeld++;
        if (++this.heldCount > this.stats.mostHeld) this.stats.mostHeld = this.heldCount;
      }
      return 'taken';
    }
    this.nextExpected.set(source, expected + 1);
    this.deliver(frame);
    const held = this.held.get(source);
    if (!held) return 'taken';
    for (let next = expected + 1; held.has(next); next++) {
      const frame = held.get(next)!;
      held.delete(next);
      this.heldCount--;
      this.nextExpected.set(source, next + 1);
      this.deliver(frame);
    }
    if (held.size === 0) this.held.delete(source);
    return 'taken';
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
