import { STORED } from '../transport.ts';

/**
 * Ranks that share one thread exchange messages through promises alone: a job whose ranks keep
 * sending never leaves the microtask queue, so no timer (the job's own timeout), no signal
 * handler (Ctrl-C) and none of the caller's timers would ever run. The in-process transport
 * therefore lets the event loop take a turn once a send finds the last turn longer ago than
 * `YIELD_AFTER_MS`: cheap enough to leave the object ping-pong's cost unchanged (bench case
 * `memory.pingpong-object.np2`), often enough that a timeout lands within a few milliseconds.
 */
export const YIELD_AFTER_MS = 10;

/** Sends between two looks at the clock: reading it cost more than the rest of a small send. */
const SENDS_PER_CLOCK_READ = 8;

export class EventLoopTurns {
  private lastTurnAt = performance.now();
  private pending: Promise<void> | undefined;
  private sendsUnclocked = 0;

  /** Resolves at once, or after a turn of the event loop when one is due. */
  afterSend(): Promise<void> {
    if (this.pending) return this.pending;
    if (++this.sendsUnclocked < SENDS_PER_CLOCK_READ) return STORED;
    this.sendsUnclocked = 0;
    if (performance.now() - this.lastTurnAt < YIELD_AFTER_MS) return STORED;
    this.pending = new Promise<void>((resolve) => {
      setImmediate(() => {
        this.lastTurnAt = performance.now();
        this.pending = undefined;
        resolve();
      });
    });
    return this.pending;
  }
}
