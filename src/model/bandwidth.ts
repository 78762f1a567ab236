import type { EventHandle, Scheduler } from './scheduler.ts';

interface Transfer {
  remaining: number;
  done: (time: number) => void;
}

/**
 * One direction of one Lambda's network: its transfers in progress share the bandwidth equally
 * (processor sharing), so a rank that sends eight copies at once sends each at an eighth of the
 * rate. Completion is exact in virtual time: the link is advanced transfer by transfer.
 */
export class SharedLink {
  private readonly active = new Set<Transfer>();
  private updatedAt = 0;
  private wakeup: EventHandle | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    /** Bytes per virtual ms; Infinity makes every transfer instant. */
    private readonly bytesPerMs: number,
  ) {}

  /** Moves `bytes` starting at `time`; `done` hears the time the last byte is through. */
  transfer(bytes: number, time: number, done: (time: number) => void): void {
    if (bytes <= 0 || this.bytesPerMs === Infinity) {
      done(time);
      return;
    }
    this.advance(time);
    this.active.add({ remaining: bytes, done });
    this.plan();
  }

  /** Brings every transfer up to `time` (never backwards), finishing those that end before it. */
  private advance(time: number): void {
    const until = Math.max(time, this.updatedAt);
    while (this.active.size > 0) {
      let shortest = Infinity;
      for (const t of this.active) shortest = Math.min(shortest, t.remaining);
      const rate = this.bytesPerMs / this.active.size;
      const finishesAt = this.updatedAt + shortest / rate;
      if (finishesAt > until) {
        const moved = (until - this.updatedAt) * rate;
        for (const t of this.active) t.remaining -= moved;
        break;
      }
      for (const t of this.active) t.remaining -= shortest;
      this.updatedAt = finishesAt;
      for (const t of [...this.active]) {
        if (t.remaining <= 1e-9) {
          this.active.delete(t);
          // Through the event queue: a completion may start the next transfer on this link.
          this.scheduler.atService(finishesAt, t.done);
        }
      }
    }
    this.updatedAt = until;
  }

  private plan(): void {
    this.wakeup?.cancel();
    this.wakeup = undefined;
    if (this.active.size === 0) return;
    let shortest = Infinity;
    for (const t of this.active) shortest = Math.min(shortest, t.remaining);
    const at = this.updatedAt + shortest / (this.bytesPerMs / this.active.size);
    this.wakeup = this.scheduler.atService(at, (time) => {
      this.wakeup = undefined;
      this.advance(time);
      this.plan();
    });
  }
}
