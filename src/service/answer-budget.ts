import { systemClock, type Clock } from '../transport/clock.ts';

/** API Gateway (REST) ends every request 29 s after it arrived, answered or not (a 504). */
export const API_GATEWAY_LIMIT_MS = 29_000;
/**
 * Kept back from that limit for what the budget cannot see: building and returning the answer,
 * its relay through API Gateway, and a busy host's late timers (on a loaded local stack these
 * came to over a second). A POST is thus answered within 28 s of its arrival.
 */
export const ANSWER_MARGIN_MS = 3_000;

/** What an await cut off by the end of the budget resolves to. */
export const OUT_OF_TIME: unique symbol = Symbol('out of time');

export interface BudgetSources {
  /** When API Gateway received the request (the event's requestContext.requestTimeEpoch). */
  arrivedAt?: number;
  /** The function's own time left (the Lambda context's getRemainingTimeInMillis()). */
  remainingTimeMs?: number;
  clock?: Clock;
}

/**
 * The time a request may spend before it must answer: from the moment it arrived to the sooner of
 * API Gateway's limit and the function's own timeout, less a margin for the answer. Under load a
 * request may wait for a function instance, so the time is counted from API Gateway's arrival,
 * not from the handler's start. Every await on the way to the answer is bounded by what is left.
 */
export class AnswerBudget {
  private constructor(readonly deadline: number, readonly clock: Clock) {}

  static forRequest({ arrivedAt, remainingTimeMs, clock = systemClock }: BudgetSources): AnswerBudget {
    const now = clock.now();
    // An arrival after now is the two clocks' skew: the request cannot have arrived later than this.
    const arrived = arrivedAt !== undefined && Number.isFinite(arrivedAt) ? Math.min(arrivedAt, now) : now;
    let end = arrived + API_GATEWAY_LIMIT_MS;
    if (remainingTimeMs !== undefined && Number.isFinite(remainingTimeMs)) end = Math.min(end, now + remainingTimeMs);
    return new AnswerBudget(end - ANSWER_MARGIN_MS, clock);
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - this.clock.now());
  }

  /**
   * Starts `work` if time is left, and settles as it does or with OUT_OF_TIME when the budget ends
   * first, whichever is sooner. Work cut off goes on unobserved: its late failure is ignored.
   */
  within<T>(work: () => Promise<T>): Promise<T | typeof OUT_OF_TIME> {
    const remaining = this.remainingMs();
    if (remaining <= 0) return Promise.resolve(OUT_OF_TIME);
    let cancel = () => {};
    const end = new Promise<typeof OUT_OF_TIME>((resolve) => {
      cancel = this.clock.schedule(() => resolve(OUT_OF_TIME), remaining);
    });
    return Promise.race([work(), end]).finally(() => cancel());
  }

  /** Waits `ms`, or until the budget ends if that is sooner. */
  async pause(ms: number): Promise<void> {
    const wait = Math.min(ms, this.remainingMs());
    if (wait > 0) await new Promise<void>((resolve) => this.clock.schedule(resolve, wait));
  }
}
