/**
 * The time a job's ranks live in. Real time for every transport that moves real frames; a
 * simulated clock for the model (src/model), whose ranks must time out, stamp output and measure
 * durations in modeled time, not in the time it takes to simulate them.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Calls `callback` once, `delayMs` from now; returns the function that cancels it. A
   * `background` timer (a heartbeat) does not keep the process alive by itself.
   */
  schedule(callback: () => void, delayMs: number, options?: { background?: boolean }): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(callback, delayMs, options) {
    const timer = setTimeout(callback, delayMs);
    if (options?.background) timer.unref();
    return () => clearTimeout(timer);
  },
};
