import type { LostRank } from '../mpi/errors.ts';

/**
 * Rank 0's watch over the other ranks' lives, so that a rank whose process is gone fails the job
 * in seconds instead of at its deadline (as mpirun aborts a job when one of its processes exits).
 * It reads what the watcher channel already brings (job-events.ts): each rank's check-in and the
 * time rank 0 last heard from it (heartbeats, output, reports). A rank is lost when
 *
 * - it never checked in, `startDeadlineMs` after its parent in the start-up tree did (rank 0's
 *   children: after rank 0 launched them): its invocation never ran (throttled, then dropped),
 *   unless its process did begin (`claimedAt`) and died before it could check in;
 * - it checked in, has not reported, and nothing came from it for `silenceMs`, unless its process
 *   vouches that it is alive but busy in synchronous code (`busyAt`: a thread of its own says so,
 *   since the rank itself cannot send heartbeats while its code does not yield).
 *
 * Rank 0's own event loop may be blocked too (its program's synchronous code): messages then wait
 * in its queue unread, so after such a gap every rank gets a fresh window before it is judged.
 */
export interface LivenessLimits {
  startDeadlineMs: number;
  silenceMs: number;
}

export interface LivenessOptions extends LivenessLimits {
  /** The rank that starts `rank` (rank 0 starts its own children). */
  parentOf(rank: number): number;
  /** When the process of a quiet rank last said it is busy (epoch ms), if it did. */
  busyAt?(rank: number): Promise<number | undefined>;
  /** When a rank that never checked in began all the same (on Lambda: its start claim), if it did. */
  claimedAt?(rank: number): Promise<number | undefined>;
  checkEveryMs?: number;
}

/** What the monitor reads of the job, as rank 0 knows it. */
export interface LivenessView {
  size: number;
  /** When rank 0 invoked its children (epoch ms), once it did. */
  launchedAt(): number | undefined;
  /** When `rank` checked in (epoch ms), if it did. */
  checkedInAt(rank: number): number | undefined;
  /** When rank 0 last heard anything from `rank`. */
  heardFrom(rank: number): number | undefined;
  /** Whether rank 0 still waits for the rank's report. */
  isRunning(rank: number): boolean;
}

const DEFAULT_CHECK_EVERY_MS = 1_000;

export class LivenessMonitor {
  private timer: NodeJS.Timeout | undefined;
  private lastTickAt = Date.now();
  /** The end of the last gap in rank 0's own ticks: judging starts afresh from there. */
  private blockedUntil = 0;
  private checking = false;
  private stopped = false;

  constructor(
    private readonly view: LivenessView,
    private readonly options: LivenessOptions,
    private readonly onLost: (lost: LostRank) => void,
  ) {}

  start(): void {
    const every = this.options.checkEveryMs ?? DEFAULT_CHECK_EVERY_MS;
    this.lastTickAt = Date.now();
    this.timer = setInterval(() => void this.tick(every), every);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async tick(every: number): Promise<void> {
    const now = Date.now();
    if (now - this.lastTickAt > 3 * every) this.blockedUntil = now;
    this.lastTickAt = now;
    if (this.checking || this.stopped) return;
    this.checking = true;
    try {
      const lost = await this.findLost(now);
      if (lost && !this.stopped) {
        this.stop();
        this.onLost(lost);
      }
    } finally {
      this.checking = false;
    }
  }

  /** The first rank found lost at `now`, if any. */
  async findLost(now: number): Promise<LostRank | undefined> {
    const { view, options } = this;
    for (let rank = 1; rank < view.size; rank++) {
      if (!view.isRunning(rank)) continue;
      const checkedIn = view.checkedInAt(rank);
      if (checkedIn === undefined) {
        const parent = options.parentOf(rank);
        const invokedAt = parent === 0 ? view.launchedAt() : view.checkedInAt(parent);
        // A rank whose parent has not started is not late: its parent is, and is judged first.
        if (invokedAt === undefined) continue;
        if (now - Math.max(invokedAt, this.blockedUntil) > options.startDeadlineMs) {
          // Its process may have begun and died before its check-in went out.
          const claimedAt = await options.claimedAt?.(rank).catch(() => undefined);
          return claimedAt === undefined ? { rank, state: 'never-started', waitedMs: now - invokedAt } : { rank, state: 'silent', since: claimedAt };
        }
        continue;
      }
      const last = Math.max(view.heardFrom(rank) ?? checkedIn, checkedIn);
      if (now - Math.max(last, this.blockedUntil) <= options.silenceMs) continue;
      const busyAt = await options.busyAt?.(rank).catch(() => undefined);
      if (busyAt !== undefined && Date.now() - busyAt <= options.silenceMs) continue;
      return { rank, state: 'silent', since: Math.max(last, busyAt ?? 0) };
    }
    return undefined;
  }
}
