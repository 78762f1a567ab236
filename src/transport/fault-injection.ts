import { ForwardingTransport } from './forwarding-transport.ts';
import type { Delivery, Frame, Transport } from './transport.ts';

export interface FaultSchedule {
  /** Seed of the schedule: the same seed gives the same faults for the same frames. */
  seed: number;
  /** Probability that a frame is delivered twice (the copy later). */
  duplicate?: number;
  /** Probability that a frame is held back, so later frames overtake it. */
  delay?: number;
  /** Longest hold-back in milliseconds. */
  maxDelayMs?: number;
}

export interface FaultCounts {
  framesSeen: number;
  duplicated: number;
  delayed: number;
}

/**
 * Wraps a transport so that it misbehaves the way SQS standard queues may: frames arrive twice
 * and out of order, on a seeded schedule. Faults are applied on the receiving side, so sends
 * still resolve once the inner transport has stored the frame.
 */
export class FaultInjectingTransport extends ForwardingTransport {
  readonly counts: FaultCounts = { framesSeen: 0, duplicated: 0, delayed: 0 };
  private readonly random: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    inner: Transport,
    private readonly schedule: FaultSchedule,
  ) {
    super(inner);
    this.random = mulberry32(schedule.seed * 7919 + inner.rank);
  }

  override get reportGraceMs(): number {
    return this.inner.reportGraceMs + (this.schedule.maxDelayMs ?? 5);
  }

  override start(deliver: (frame: Frame) => Delivery, onError: (error: Error) => void): void {
    const maxDelay = this.schedule.maxDelayMs ?? 5;
    // A frame the link layer cannot hold yet comes again later, as SQS brings back a message
    // left undeleted: the faults model a transport that loses nothing.
    const later = (frame: Frame) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.closed && deliver(frame) === 'later') later(frame);
      }, 1 + Math.floor(this.random() * maxDelay));
      this.timers.add(timer);
    };
    this.inner.start((frame) => {
      this.counts.framesSeen++;
      if (this.random() < (this.schedule.duplicate ?? 0)) {
        this.counts.duplicated++;
        later(frame);
      }
      if (this.random() < (this.schedule.delay ?? 0)) {
        this.counts.delayed++;
        later(frame);
      } else if (deliver(frame) === 'later') {
        later(frame);
      }
      return 'taken';
    }, onError);
  }

  override close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return this.inner.close();
  }
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
