import type { Comm } from '../mpi/comm/comm.ts';
import type { CollectiveName } from '../mpi/comm/collective-channel.ts';

const COLLECTIVES: ReadonlySet<string> = new Set<CollectiveName>([
  'barrier', 'bcast', 'scatter', 'gather', 'allgather', 'alltoall', 'reduce', 'allreduce', 'scan', 'exscan', 'split',
]);

export interface CollectiveFigure {
  /** Calls made by the rank that made the most. */
  calls: number;
  /** Modeled seconds inside the collective, summed over its calls, on the slowest rank. */
  seconds: number;
  /** The last call alone, on its slowest rank (earlier calls may include waiting for late starters). */
  lastCallSeconds: number;
}

/** Time spent in each collective, per rank, on the model's clock. */
export class CollectiveTiming {
  private readonly perRank: Array<Map<string, { calls: number; ms: number; lastMs: number }>>;

  constructor(size: number) {
    this.perRank = Array.from({ length: size }, () => new Map());
  }

  record(rank: number, name: string, ms: number): void {
    const figures = this.perRank[rank]!;
    const figure = figures.get(name) ?? { calls: 0, ms: 0, lastMs: 0 };
    figure.calls++;
    figure.ms += ms;
    figure.lastMs = ms;
    figures.set(name, figure);
  }

  summary(): Record<string, CollectiveFigure> {
    const summary: Record<string, CollectiveFigure> = {};
    for (const figures of this.perRank) {
      for (const [name, { calls, ms, lastMs }] of figures) {
        const entry = (summary[name] ??= { calls: 0, seconds: 0, lastCallSeconds: 0 });
        entry.calls = Math.max(entry.calls, calls);
        entry.seconds = Math.max(entry.seconds, ms / 1000);
        entry.lastCallSeconds = Math.max(entry.lastCallSeconds, lastMs / 1000);
      }
    }
    return Object.fromEntries(Object.entries(summary).sort(([a], [b]) => a.localeCompare(b)));
  }
}

/**
 * The communicator a modeled program sees: the real one, with each collective call timed on the
 * model's clock (communicators made by split and dup are timed too). Only the program's own
 * calls count: a collective built from others is one call.
 */
export function timedComm(comm: Comm, record: (name: string, ms: number) => void, now: () => number): Comm {
  return new Proxy(comm, {
    get(target, property, _receiver) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'dup') return () => timedComm(target.dup(), record, now);
      if (typeof property === 'string' && COLLECTIVES.has(property)) {
        return async (...args: unknown[]) => {
          const started = now();
          try {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            return property === 'split' ? timedComm(result as Comm, record, now) : result;
          } finally {
            record(property, now() - started);
          }
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
