import type { BlockedRank } from '../mpi/deadlock-error.ts';
import type { WaitBoard } from './threads/wait-board.ts';

/**
 * How long every live rank must have stayed blocked, with nothing in flight and nothing changing
 * anywhere, before the job is called deadlocked. The counters alone are exact for the in-process
 * transports (each frame is counted once sent and once handed up), but a few things move without
 * them: a send's completion in one thread waits for a turn of the event loop, a fault-injecting
 * wrapper holds frames for a few milliseconds above the counters, and a rank may leave a blocking
 * receive un-awaited while it computes on timers. Half a second outlasts the first two by far,
 * and keeps a deadlock named well within a second.
 */
export const STEADY_MS = 500;
/** How often the board is read while the job runs. */
export const CHECK_EVERY_MS = 100;

/**
 * The in-process deadlock watch: reads the job's wait board (threads/wait-board.ts) and says when
 * every rank whose program still runs is blocked in a communication call, nothing is in flight
 * to any of them (every data frame sent to a live rank was handed up to it), and this has held,
 * unchanged, for STEADY_MS. A rank computing between calls, or awaiting anything but a
 * communication call (a timer, a fetch), is not blocked: it may send later. So is one whose
 * program has not started yet. A posted irecv is not a wait until the program waits on it.
 */
export class DeadlockWatch {
  private steadySince: number | undefined;
  private steadyActivity = -1;

  constructor(private readonly board: WaitBoard) {}

  /** The blocked ranks when the job is deadlocked as of `now`, else undefined. */
  check(now: number): BlockedRank[] | undefined {
    const blocked = this.blockedNow();
    if (!blocked) {
      this.steadySince = undefined;
      return undefined;
    }
    if (this.steadySince === undefined || blocked.activity !== this.steadyActivity) {
      this.steadySince = now;
      this.steadyActivity = blocked.activity;
      return undefined;
    }
    return now - this.steadySince >= STEADY_MS ? blocked.ranks : undefined;
  }

  /** Starts over: what was seen so far proves nothing (a rank answered that it was busy). */
  reset(): void {
    this.steadySince = undefined;
  }

  /** Every live rank's wait when all are blocked and nothing is in flight to them; with the board's total activity. */
  private blockedNow(): { ranks: BlockedRank[]; activity: number } | undefined {
    const ranks: BlockedRank[] = [];
    let activity = 0;
    for (let rank = 0; rank < this.board.size; rank++) {
      const traffic = this.board.traffic(rank);
      activity += traffic.activity;
      if (traffic.ended) continue;
      if (traffic.entry.state !== 'waiting' || traffic.inFlight > 0) return undefined;
      const { operation, source, tag, peer } = traffic.entry.wait;
      // A standard send completes once its transport stored it: a rank waiting on one is not blocked by anyone.
      if (operation === 'isend') return undefined;
      ranks.push({ rank, operation, source, tag, ...(peer === undefined ? {} : { peer }) });
    }
    return ranks.length > 0 ? { ranks, activity } : undefined;
  }
}

/**
 * Reads `board` every CHECK_EVERY_MS from this thread's event loop (its ranks share it, so each
 * reading sees them between turns) until a deadlock is found or the returned function is called.
 */
export function watchForDeadlock(board: WaitBoard, onDeadlock: (blocked: BlockedRank[]) => void): () => void {
  const watch = new DeadlockWatch(board);
  const timer = setInterval(() => {
    const blocked = watch.check(Date.now());
    if (!blocked) return;
    clearInterval(timer);
    onDeadlock(blocked);
  }, CHECK_EVERY_MS);
  // The job's own deadline keeps the process alive; this watch never should.
  timer.unref();
  return () => clearInterval(timer);
}
