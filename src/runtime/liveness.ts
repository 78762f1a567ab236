import type { LostRank } from '../mpi/errors.ts';

/**
 * Rank 0's watch over the other ranks' lives, so that a rank whose process is gone fails the job
 * in seconds instead of at its deadline (as mpirun aborts a job when one of its processes exits).
 * It reads what the watcher channel already brings (job-events.ts): each rank's check-in and the
 * newest stamp of the rank's own clock on what it sent (heartbeats, output). A rank is declared
 * lost only on evidence that it stopped, never because its messages wait unread:
 *
 * - it never checked in, `startDeadlineMs` after its parent in the start-up tree did (rank 0's
 *   children: after rank 0 launched them): its invocation never ran (throttled, then dropped),
 *   unless its process did begin (`claimedAt`) and died before it could check in;
 * - it checked in, has not reported, and at a time when rank 0 had handled everything its queue
 *   held (`caughtUpAt`), the rank's newest stamp was more than `silenceMs` old: an alive rank
 *   stamps something at least twice in that time, so its silence is the sender's, not a backlog
 *   of rank 0's; and its process does not vouch for it (`busyAt`: a thread of its own writes
 *   while the rank is quiet, since the rank itself sends nothing while its code does not yield or
 *   its messages do not get through), within twice the limit (PULSE_GRACE). A rank whose vouching
 *   stopped is lost by that evidence.
 *
 * Silence is measured on the sender's clock, and judged at a moment rank 0 was caught up: a rank
 * 0 slowed down (its own synchronous code, a loaded machine) judges nothing until it has read its
 * queue, so queue delay never reads as death. A rank that reported is never judged.
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
  /**
   * The newest time (epoch ms) at which rank 0 had handled every message its queue held, if it
   * knows one (the AWS transport's receiver: a poll found the queue empty). Without it, now: rank
   * 0's messages never wait unread (ranks in one process).
   */
  caughtUpAt?(): number | undefined;
  checkEveryMs?: number;
}

/** What the monitor reads of the job, as rank 0 knows it. */
export interface LivenessView {
  size: number;
  /** When rank 0 invoked its children (epoch ms), once it did. */
  launchedAt(): number | undefined;
  /** When `rank` checked in (epoch ms), if it did. */
  checkedInAt(rank: number): number | undefined;
  /** The newest stamp of `rank`'s own clock on what rank 0 received from it (its events). */
  sentAt(rank: number): number | undefined;
  /** Whether rank 0 still waits for the rank's report. */
  isRunning(rank: number): boolean;
}

const DEFAULT_CHECK_EVERY_MS = 1_000;
/**
 * A quiet rank's process vouches for it from its own thread (busyAt), which starts writing about
 * half a silence limit after the rank went quiet and then every few seconds: it gets up to twice
 * the limit, since on a loaded machine that thread and its writes are late too.
 */
const PULSE_GRACE = 2;

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
    // Judged as of the last moment rank 0 had read all its queue held: what came before then is known.
    const asOf = options.caughtUpAt ? options.caughtUpAt() : now;
    if (asOf === undefined) return undefined;
    for (let rank = 1; rank < view.size; rank++) {
      if (!view.isRunning(rank)) continue;
      const checkedIn = view.checkedInAt(rank);
      if (checkedIn === undefined) {
        const parent = options.parentOf(rank);
        const invokedAt = parent === 0 ? view.launchedAt() : view.checkedInAt(parent);
        // A rank whose parent has not started is not late: its parent is, and is judged first.
        if (invokedAt === undefined) continue;
        if (asOf - Math.max(invokedAt, this.blockedUntil) > options.startDeadlineMs) {
          // Its process may have begun and died before its check-in went out.
          const claimedAt = await options.claimedAt?.(rank).catch(() => undefined);
          return claimedAt === undefined
            ? { rank, state: 'never-started', waitedMs: asOf - invokedAt }
            : { rank, state: 'silent', since: claimedAt, evidence: 'start-claim' };
        }
        continue;
      }
      const lastSent = Math.max(view.sentAt(rank) ?? checkedIn, checkedIn);
      const quietFor = asOf - Math.max(lastSent, this.blockedUntil);
      if (quietFor <= options.silenceMs) continue;
      const busyAt = await options.busyAt?.(rank).catch(() => undefined);
      // The process's thread writes every few seconds; on a loaded machine its writes come late.
      if (busyAt !== undefined && Date.now() - busyAt <= PULSE_GRACE * options.silenceMs) continue;
      // Re-read: the check above awaited, and a report or an event may have come meanwhile.
      if (!view.isRunning(rank) || (view.sentAt(rank) ?? 0) > lastSent) continue;
      if (busyAt !== undefined && busyAt > lastSent) return { rank, state: 'silent', since: busyAt, evidence: 'pulse' };
      // A rank quiet for one limit whose process has not spoken yet gets as long again for it to.
      if (quietFor <= PULSE_GRACE * options.silenceMs) continue;
      return { rank, state: 'silent', since: lastSent, evidence: 'heartbeats', caughtUpAt: asOf };
    }
    return undefined;
  }
}
