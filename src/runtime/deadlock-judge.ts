import type { BlockedRank } from '../mpi/deadlock-error.ts';
import type { DataTraffic, WaitDescription } from '../mpi/p2p/engine.ts';
import type { Clock } from '../transport/clock.ts';
import type { RankActivity } from './job-events.ts';

/** How often rank 0 weighs what the heartbeats told it. */
export const JUDGE_EVERY_MS = 1_000;

interface Beat {
  /** The sender's own clock when it sampled `activity`. */
  at: number;
  activity: RankActivity;
}

/** What rank 0 itself is doing: its program runs or not, and its own activity now. */
export interface OwnActivity {
  running: boolean;
  activity: RankActivity;
}

/**
 * Rank 0's judge of deadlocks where it cannot see the other ranks' memory (their processes are
 * Lambdas, or read over SQS): from what each rank's heartbeats say it was doing. A worker sends a
 * heartbeat only when it sent nothing else for a while, which is what a blocked rank does; each
 * carries the call it waits in and its counts of data frames sent and taken in order.
 *
 * The job is deadlocked when, for an interval common to every rank, each rank still running
 * was blocked in the same call with the same counts (its last two heartbeats agree: it took and
 * sent nothing between them), and every data frame sent had been taken (the sum of all ranks'
 * sent equals the sum taken, ended ranks counted with the totals of their `done` report). The
 * counts are sampled by each rank at its own moment; two equal samples bracket an interval in
 * which that rank's counts did not move, and where those intervals overlap, the counts add up to
 * one consistent picture of the whole job. A message SQS still holds (delayed, left undeleted,
 * shown again after a visibility timeout) is sent and not taken, so it holds the verdict back
 * until it is taken; a duplicate is dropped before it is counted.
 */
export class DeadlockJudge {
  private readonly beats = new Map<number, { previous?: Beat; latest: Beat }>();
  /** Ranks that reported `done`: their final counts, or undefined when the report carried none (an older worker). */
  private readonly ended = new Map<number, DataTraffic | undefined>();
  private own: { key: string; since: number } | undefined;

  constructor(private readonly size: number) {}

  heartbeat(rank: number, at: number, activity: RankActivity): void {
    if (rank === 0) return;
    const beats = this.beats.get(rank);
    if (beats && at <= beats.latest.at) return;
    this.beats.set(rank, { ...(beats ? { previous: beats.latest } : {}), latest: { at, activity } });
  }

  /** A worker reported `done` with its final counts. */
  workerDone(rank: number, traffic: DataTraffic | undefined): void {
    this.ended.set(rank, traffic);
  }

  /** Every blocked rank when the job is deadlocked as of `now` (rank 0's clock), else undefined. */
  judge(self: OwnActivity, now: number): BlockedRank[] | undefined {
    const ownKey = self.running ? keyOf(self.activity) : `ended ${self.activity.sent} ${self.activity.taken}`;
    if (this.own?.key !== ownKey) this.own = { key: ownKey, since: now };
    const blocked: BlockedRank[] = [];
    let sent = self.activity.sent;
    let taken = self.activity.taken;
    let from = this.own.since;
    let until = now;
    if (self.running) {
      if (!isBlocking(self.activity.wait)) return undefined;
      blocked.push(blockedRank(0, self.activity.wait));
    }
    for (let rank = 1; rank < this.size; rank++) {
      if (this.ended.has(rank)) {
        const traffic = this.ended.get(rank);
        if (!traffic) return undefined;
        sent += traffic.sent;
        taken += traffic.taken;
        continue;
      }
      const beats = this.beats.get(rank);
      const wait = beats?.latest.activity.wait;
      if (!beats?.previous || !isBlocking(wait) || keyOf(beats.previous.activity) !== keyOf(beats.latest.activity)) return undefined;
      from = Math.max(from, beats.previous.at);
      until = Math.min(until, beats.latest.at);
      sent += beats.latest.activity.sent;
      taken += beats.latest.activity.taken;
      blocked.push(blockedRank(rank, wait));
    }
    if (blocked.length === 0 || from > until || sent !== taken) return undefined;
    return blocked;
  }

  /** Judges every JUDGE_EVERY_MS on `clock` until a deadlock is found or the returned function is called. */
  watch(clock: Clock, self: () => OwnActivity, onDeadlock: (blocked: BlockedRank[]) => void): () => void {
    let cancel = (): void => undefined;
    const tick = () => {
      const blocked = this.judge(self(), clock.now());
      if (blocked) onDeadlock(blocked);
      else cancel = clock.schedule(tick, JUDGE_EVERY_MS, { background: true });
    };
    cancel = clock.schedule(tick, JUDGE_EVERY_MS, { background: true });
    return () => cancel();
  }
}

/** A standard send completes once stored: a rank waiting on one is not blocked by anyone. */
function isBlocking(wait: WaitDescription | undefined): wait is WaitDescription {
  return wait !== undefined && wait.operation !== 'isend';
}

function keyOf(activity: RankActivity): string {
  const { wait } = activity;
  return `${activity.sent} ${activity.taken} ${wait ? `${wait.operation} ${wait.source} ${wait.tag} ${wait.peer}` : 'running'}`;
}

function blockedRank(rank: number, wait: WaitDescription): BlockedRank {
  return { rank, operation: wait.operation, source: wait.source, tag: wait.tag, ...(wait.peer === undefined ? {} : { peer: wait.peer }) };
}
