import { Comm } from '../mpi/comm/comm.ts';
import { COLLECTIVE_NAMES } from '../mpi/comm/collective-channel.ts';

/**
 * Every collective, and its nonblocking form (`ibcast`: from its start to its completion), and
 * the communicator constructors that are collective without a message of their own.
 */
const COLLECTIVES: ReadonlySet<string> = new Set<string>([
  ...COLLECTIVE_NAMES.flatMap((name) => [name, `i${name}`]),
  'create', 'createCart', 'sub',
]);
/** The blocking point-to-point calls: timed together, as the job's point-to-point time. */
const POINT_TO_POINT: ReadonlySet<string> = new Set(['send', 'recv', 'recvMessage', 'sendrecv', 'probe', 'recvInto']);

export interface CollectiveFigure {
  /** Calls made by the rank that made the most. */
  calls: number;
  /** Modeled seconds inside the collective, summed over its calls, on the slowest rank. */
  seconds: number;
  /**
   * The last call alone, from the moment the last rank entered it to the moment the last rank
   * left it: the collective's own latency, without the waiting for late ranks that the first
   * call of a program usually includes.
   */
  lastCallSeconds: number;
}

/** Where one rank's run time went: its point-to-point calls, its collectives, and the rest (compute, and idle once its program ended). */
export interface RankTimeSplit {
  rank: number;
  pointToPointSeconds: number;
  collectiveSeconds: number;
  otherSeconds: number;
}

/** Time spent in each collective, per rank, on the model's clock. */
export class CollectiveTiming {
  private readonly perRank: Array<Map<string, { calls: number; ms: number; lastStart: number; lastEnd: number }>>;

  /**
   * `startupEnd`: the moment every rank's program runs, once it is known (undefined before). The
   * time of a call before it is start-up (a rank that waits in its first call for ranks not yet
   * started waits for their start-up), so calls count from it on: start-up, then each rank's calls
   * and the rest, add up to the job's time.
   */
  constructor(size: number, private readonly startupEnd: () => number | undefined = () => 0) {
    this.perRank = Array.from({ length: size }, () => new Map());
  }

  /** A call of `name` by `rank` from `start` to `end` (virtual ms). */
  record(rank: number, name: string, start: number, end: number): void {
    const figures = this.perRank[rank]!;
    const figure = figures.get(name) ?? { calls: 0, ms: 0, lastStart: 0, lastEnd: 0 };
    figure.calls++;
    // A call that ended before every rank ran lies wholly within start-up.
    const runFrom = this.startupEnd();
    figure.ms += runFrom === undefined ? 0 : Math.max(0, end - Math.max(start, runFrom));
    figure.lastStart = start;
    figure.lastEnd = end;
    figures.set(name, figure);
  }

  summary(): Record<string, CollectiveFigure> {
    const summary: Record<string, CollectiveFigure & { lastEntered: number; lastLeft: number }> = {};
    for (const figures of this.perRank) {
      for (const [name, { calls, ms, lastStart, lastEnd }] of figures) {
        if (!COLLECTIVES.has(name)) continue;
        const entry = (summary[name] ??= { calls: 0, seconds: 0, lastCallSeconds: 0, lastEntered: -Infinity, lastLeft: -Infinity });
        entry.calls = Math.max(entry.calls, calls);
        entry.seconds = Math.max(entry.seconds, ms / 1000);
        entry.lastEntered = Math.max(entry.lastEntered, lastStart);
        entry.lastLeft = Math.max(entry.lastLeft, lastEnd);
      }
    }
    return Object.fromEntries(Object.entries(summary)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, { calls, seconds, lastEntered, lastLeft }]) => [name, { calls, seconds, lastCallSeconds: (lastLeft - lastEntered) / 1000 }]));
  }

  /** Each rank's run (`runSeconds`, after start-up) split into point-to-point calls, collectives and the rest: the three add up to it. */
  ranks(runSeconds: number): RankTimeSplit[] {
    return this.perRank.map((figures, rank) => {
      let p2pMs = 0;
      let collectiveMs = 0;
      for (const [name, figure] of figures) {
        if (POINT_TO_POINT.has(name)) p2pMs += figure.ms;
        else if (COLLECTIVES.has(name)) collectiveMs += figure.ms;
      }
      const pointToPointSeconds = p2pMs / 1000;
      const collectiveSeconds = collectiveMs / 1000;
      return { rank, pointToPointSeconds, collectiveSeconds, otherSeconds: Math.max(0, runSeconds - pointToPointSeconds - collectiveSeconds) };
    });
  }

  /** Point-to-point calls together: the calls of the rank that made the most, the seconds of the rank that spent the most. */
  pointToPoint(): { calls: number; seconds: number } {
    let calls = 0;
    let ms = 0;
    for (const figures of this.perRank) {
      let rankCalls = 0;
      let rankMs = 0;
      for (const [name, figure] of figures) {
        if (!POINT_TO_POINT.has(name)) continue;
        rankCalls += figure.calls;
        rankMs += figure.ms;
      }
      calls = Math.max(calls, rankCalls);
      ms = Math.max(ms, rankMs);
    }
    return { calls, seconds: ms / 1000 };
  }
}

/**
 * The communicator a modeled program sees: the real one, with each collective call timed on the
 * model's clock (communicators made from it are timed too). Only the program's own
 * calls count: a collective built from others is one call.
 */
export function timedComm(comm: Comm, record: (name: string, start: number, end: number) => void, now: () => number): Comm {
  return new Proxy(comm, {
    get(target, property, _receiver) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'dup') return () => timedComm(target.dup(), record, now);
      if (typeof property === 'string' && (COLLECTIVES.has(property) || POINT_TO_POINT.has(property))) {
        return async (...args: unknown[]) => {
          const started = now();
          try {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            // split, create, createGroup, createCart and sub make communicators, timed too.
            return result instanceof Comm ? timedComm(result, record, now) : result;
          } finally {
            record(property, started, now());
          }
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
