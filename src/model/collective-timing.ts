import { Comm } from '../mpi/comm/comm.ts';
import { COLLECTIVE_NAMES } from '../mpi/comm/collective-channel.ts';
import { whenSettled, type Request } from '../mpi/p2p/request.ts';

/**
 * Every collective, and its nonblocking form (`ibcast`: from its start to its completion), and
 * the communicator constructors that are collective without a message of their own.
 */
const NONBLOCKING_COLLECTIVES: ReadonlySet<string> = new Set(COLLECTIVE_NAMES.map((name) => `i${name}`));
const COLLECTIVES: ReadonlySet<string> = new Set<string>([
  ...COLLECTIVE_NAMES, ...NONBLOCKING_COLLECTIVES,
  'create', 'createCart', 'sub',
]);
/** The blocking point-to-point calls: timed together, as the job's point-to-point time. */
const POINT_TO_POINT: ReadonlySet<string> = new Set(['send', 'recv', 'recvMessage', 'sendrecv', 'probe', 'recvInto']);

export interface CollectiveFigure {
  /** Calls made by the rank that made the most. */
  calls: number;
  /** Modeled seconds with a call of the collective in progress (its calls, counted once where they overlap), on the slowest rank. */
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

/** A rank's time inside calls of one name: the calls made, and the time with at least one of them in progress. */
interface NameFigure {
  calls: number;
  ms: number;
  lastStart: number;
  lastEnd: number;
  /** Calls of this name in progress now, and since when there have been any. */
  inProgress: number;
  since: number;
}

/**
 * One rank's time on the model's clock, split as it goes: while a point-to-point call is in
 * progress the time is point-to-point, else while a collective is, collective, else the rest.
 * Calls in progress together (a send and a receive under one Promise.all, a nonblocking
 * collective beside others) count their time once, so the parts never add up to more than the run.
 */
interface RankFigures {
  byName: Map<string, NameFigure>;
  pointToPointInProgress: number;
  collectivesInProgress: number;
  pointToPointMs: number;
  collectiveMs: number;
  /** The time of the last call's start or end: what lies before it is counted. */
  countedTo: number;
}

/** Time spent in each collective and point-to-point call, per rank, on the model's clock. */
export class CollectiveTiming {
  private readonly perRank: RankFigures[];

  /**
   * `startupEnd`: the moment every rank's program runs, once it is known (undefined before). The
   * time of a call before it is start-up (a rank that waits in its first call for ranks not yet
   * started waits for their start-up), so calls count from it on: start-up, then each rank's calls
   * and the rest, add up to the job's time.
   */
  constructor(size: number, private readonly startupEnd: () => number | undefined = () => 0) {
    this.perRank = Array.from({ length: size }, () => ({
      byName: new Map(), pointToPointInProgress: 0, collectivesInProgress: 0, pointToPointMs: 0, collectiveMs: 0, countedTo: 0,
    }));
  }

  /** `rank` starts a call of `name` at `at` (virtual ms). */
  begin(rank: number, name: string, at: number): void {
    const figures = this.perRank[rank]!;
    this.countUpTo(figures, at);
    const figure = figures.byName.get(name) ?? { calls: 0, ms: 0, lastStart: 0, lastEnd: 0, inProgress: 0, since: 0 };
    if (figure.inProgress++ === 0) figure.since = at;
    figures.byName.set(name, figure);
    if (POINT_TO_POINT.has(name)) figures.pointToPointInProgress++;
    else if (COLLECTIVES.has(name)) figures.collectivesInProgress++;
  }

  /** The call of `name` that `rank` started at `start` ends at `end` (virtual ms). */
  end(rank: number, name: string, start: number, end: number): void {
    const figures = this.perRank[rank]!;
    this.countUpTo(figures, end);
    const figure = figures.byName.get(name)!;
    figure.calls++;
    figure.lastStart = start;
    figure.lastEnd = end;
    if (--figure.inProgress === 0) figure.ms += this.runTimeBetween(figure.since, end);
    if (POINT_TO_POINT.has(name)) figures.pointToPointInProgress--;
    else if (COLLECTIVES.has(name)) figures.collectivesInProgress--;
  }

  /** Counts the time since the rank's last call started or ended as what was in progress meanwhile. */
  private countUpTo(figures: RankFigures, at: number): void {
    const ms = this.runTimeBetween(figures.countedTo, at);
    if (figures.pointToPointInProgress > 0) figures.pointToPointMs += ms;
    else if (figures.collectivesInProgress > 0) figures.collectiveMs += ms;
    figures.countedTo = Math.max(figures.countedTo, at);
  }

  /** The part of [from, to] after every rank ran; none while that moment is not known (all of it is start-up then). */
  private runTimeBetween(from: number, to: number): number {
    const runFrom = this.startupEnd();
    return runFrom === undefined ? 0 : Math.max(0, to - Math.max(from, runFrom));
  }

  summary(): Record<string, CollectiveFigure> {
    const summary: Record<string, CollectiveFigure & { lastEntered: number; lastLeft: number }> = {};
    for (const { byName } of this.perRank) {
      for (const [name, { calls, ms, lastStart, lastEnd }] of byName) {
        if (!COLLECTIVES.has(name) || calls === 0) continue;
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
    return this.perRank.map(({ pointToPointMs, collectiveMs }, rank) => {
      const pointToPointSeconds = pointToPointMs / 1000;
      const collectiveSeconds = collectiveMs / 1000;
      return { rank, pointToPointSeconds, collectiveSeconds, otherSeconds: Math.max(0, runSeconds - pointToPointSeconds - collectiveSeconds) };
    });
  }

  /** Point-to-point calls together: the calls of the rank that made the most, the time in them of the rank that spent the most. */
  pointToPoint(): { calls: number; seconds: number } {
    let calls = 0;
    let ms = 0;
    for (const { byName, pointToPointMs } of this.perRank) {
      let rankCalls = 0;
      for (const [name, figure] of byName) if (POINT_TO_POINT.has(name)) rankCalls += figure.calls;
      calls = Math.max(calls, rankCalls);
      ms = Math.max(ms, pointToPointMs);
    }
    return { calls, seconds: ms / 1000 };
  }
}

/** What timedComm tells of each call: its start, then its end. */
export interface CallTimes {
  begin(name: string, at: number): void;
  end(name: string, start: number, end: number): void;
}

/**
 * The communicator a modeled program sees: the real one, with each collective and blocking
 * point-to-point call timed on the model's clock (communicators made from it are timed too). Only
 * the program's own calls count: a collective built from others is one call.
 */
export function timedComm(comm: Comm, calls: CallTimes, now: () => number): Comm {
  return new Proxy(comm, {
    get(target, property, _receiver) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'dup') return () => timedComm(target.dup(), calls, now);
      if (typeof property === 'string' && NONBLOCKING_COLLECTIVES.has(property)) {
        // Returns its request at once, as the communicator does; timed until the request settles.
        return (...args: unknown[]) => {
          const started = now();
          calls.begin(property, started);
          let request: Request;
          try {
            request = (value as (...a: unknown[]) => Request).apply(target, args);
          } catch (error) {
            calls.end(property, started, now());
            throw error;
          }
          whenSettled(request, () => calls.end(property, started, now()));
          return request;
        };
      }
      if (typeof property === 'string' && (COLLECTIVES.has(property) || POINT_TO_POINT.has(property))) {
        return async (...args: unknown[]) => {
          const started = now();
          calls.begin(property, started);
          try {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            // split, create, createGroup, createCart and sub make communicators, timed too.
            return result instanceof Comm ? timedComm(result, calls, now) : result;
          } finally {
            calls.end(property, started, now());
          }
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
