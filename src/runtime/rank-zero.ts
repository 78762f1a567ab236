import { withFileRequests } from '../file/file-requests.ts';
import { collectiveMismatchAtEnd, unreceivedOf, type UnreceivedMessages } from './unreceived.ts';
import { decode } from '../mpi/codec/codec.ts';
import {
  JobAbortedError, JobCancelledError, JobTimeoutError, LambdaMpiError, RankFailedError, RankLostError, toRemoteErrorInfo, type RankWaitState,
} from '../mpi/errors.ts';
import { addLinkStats, emptyLinkStats } from '../mpi/p2p/link.ts';
import { reportedWait } from '../mpi/p2p/wait-description.ts';
import type { ControlMessage } from './control.ts';
import type { StampedLine } from './output.ts';
import type { JobEventSink, JobProgress, RankEvent, RankStartTiming } from './job-events.ts';
import { LivenessMonitor, type LivenessOptions } from './liveness.ts';
import { DeadlockJudge } from './deadlock-judge.ts';
import { DeadlockError } from '../mpi/deadlock-error.ts';
import { RankSession, broadcastControl, type ProgramOutcome, type RankOptions } from './rank-session.ts';
import { systemClock, type Clock } from '../transport/clock.ts';
import { mergeOutput, type JobTimings, type RankTiming, type RunResult, type StartupSteps } from './run-result.ts';
import { buildChromeTrace, type JobStep } from './trace/chrome-trace.ts';
import type { RankSpans } from './trace/rank-tracer.ts';
import { addRequestCounts, type RequestCounts } from '../transport/request-counts.ts';

export interface RankZeroOptions extends RankOptions {
  /** Starts ranks 1..N-1 (Lambda invocations); in-process runs start them themselves. */
  launchWorkers?: () => Promise<void>;
  /** Whoever watches the job: every rank's events as rank 0 receives them, with the progress. */
  sink?: JobEventSink;
  /** When the job began (epoch ms), if before rank 0's program (on Lambda: the handler's start). */
  jobStartedAt?: number;
  /** Rank 0's start-up steps before its program (on Lambda), for the timings and the timeline. */
  startup?: { steps: StartupSteps; timeline: JobStep[] };
  /** Fail the job in seconds when a rank never starts or its process ends (liveness.ts); ranks in other processes only. */
  liveness?: LivenessOptions;
}

/** Runs rank 0 of a job: its own part of the program, and the job's authority (see RankZeroJob). */
export function runRankZero(options: RankZeroOptions): Promise<RunResult> {
  return new RankZeroJob(options).run();
}

/**
 * The life of a job as rank 0 sees it. Rank 0 runs its own part of the program and collects
 * every worker's report; the job stays open until exactly one of its endings:
 *
 * - finish: rank 0's program returned and every worker reported `done` → the RunResult;
 * - fail: a worker reported `failed`, a rank asked to `abort`, rank 0's program threw, or the
 *   workers could not be started → `abort` to every rank still running, then the job's error;
 * - deadline, then reportGraceOver one message latency later: the job ran out of time →
 *   JobTimeoutError naming each rank still running and what it waits on, from the workers'
 *   `timeout-report`s, or `silent` for the ranks that sent none.
 *
 * A report that comes after the ending, or a second report from one rank, changes nothing.
 */
export class RankZeroJob {
  private readonly session: RankSession;
  private readonly clock: Clock;
  private readonly startedAt: number;
  /** Workers that have not reported `done` or `failed` (or asked to abort) yet. */
  private readonly running: Set<number>;
  /** Every rank's return value, index = rank. */
  private readonly results: unknown[];
  /** What the workers' `done` reports said they never received. */
  private readonly unreceived: UnreceivedMessages[] = [];
  /** What each rank's `done` said of its time (rank 0's own added at the end). */
  private readonly ends = new Map<number, { durationMs: number; endAt: number; firstMessageAt?: number }>();
  private readonly spans = new Map<number, RankSpans>();
  private readonly workerRequests: RequestCounts = {};
  /** Every rank's lines, as their events brought them (rank 0's own included). */
  private readonly output: StampedLine[] = [];
  /** The ranks that checked in, with what they said of their start-up. */
  private readonly started = new Map<number, RankStartTiming>();
  /** Ranks whose report came (rank 0 counts once its own program ended). */
  private finishedCount = 0;
  /** The newest stamp of each rank's own clock on the events it sent (check-in, output, heartbeats). */
  private readonly lastSent = new Map<number, number>();
  private readonly workerLinks = emptyLinkStats();
  /** What each worker said it was blocked on, from its `timeout-report`. */
  private readonly waitStates = new Map<number, RankWaitState>();
  /** Rank 0's own program: undefined while it runs, then how long it took. */
  private ownDurationMs: number | undefined;
  /** Whether rank 0's own program was still running when the deadline passed (code that never yielded). */
  private ownRanPastDeadline = false;
  private deadlinePassed = false;
  private ended = false;
  private readonly ending: Promise<RunResult>;
  private resolveEnding!: (result: RunResult) => void;
  private rejectEnding!: (error: unknown) => void;
  private cancelDeadline: (() => void) | undefined;
  private cancelGrace: (() => void) | undefined;
  private liveness: LivenessMonitor | undefined;
  /** When rank 0 invoked its children in the start-up tree. */
  private launchedAt: number | undefined;
  /** Names a deadlock from the workers' heartbeats (ranks in other processes; in real time only). */
  private readonly deadlocks: DeadlockJudge;
  private stopJudging: (() => void) | undefined;

  constructor(private readonly options: RankZeroOptions) {
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.running = new Set(Array.from({ length: options.size - 1 }, (_, i) => i + 1));
    this.results = new Array(options.size).fill(undefined);
    this.deadlocks = new DeadlockJudge(options.size);
    this.ending = new Promise<RunResult>((resolve, reject) => {
      this.resolveEnding = resolve;
      this.rejectEnding = reject;
    });
    this.session = new RankSession(
      options,
      (message, source) => this.report(message, source),
      async (reason) => this.fail(new JobAbortedError(options.jobId, 0, reason), 0),
      // Rank 0's own events are handed over here, synchronously, in the same order as a worker's.
      async (events) => this.onRankEvents(events),
    );
  }

  /** The generation rank 0's program is in (after it: the next one, once a due checkpointIfDue ended it) and its checkpoint. */
  get generation(): { number: number; restoreFrom: number | undefined } {
    return { number: this.session.generations.generation, restoreFrom: this.session.generations.restoreFrom };
  }

  /** How far the job got. */
  progress(): JobProgress {
    // On Lambda a generation ends with its processes: their reports then are a hand-over, not the job's end.
    const own = this.options.generations?.generation ?? 0;
    const handingOver = this.options.generations?.endsWithProcess === true && this.session.generations.generation !== own;
    // Handing over, this process still reports its own generation: the next one has not started.
    const generation = handingOver ? own : this.session.generations.generation;
    return {
      size: this.options.size, started: this.started.size, finished: handingOver ? 0 : this.finishedCount, elapsedMs: this.clock.now() - this.jobStartedAt,
      ...(generation > 0 ? { generation } : {}),
    };
  }

  /** The newest time `rank` stamped on an event rank 0 received (epoch ms, the rank's clock), or undefined if none. */
  sentAt(rank: number): number | undefined {
    return this.lastSent.get(rank);
  }

  /** Ends the job as cancelled (from outside: Ctrl-C, `lambda-mpi cancel`, DELETE): every rank is told to stop. */
  cancel(by: string): void {
    this.fail(new JobCancelledError(this.options.jobId, by), 0);
  }

  /** Starts the job; call once. Settles with the job's ending, after rank 0's resources are released. */
  run(): Promise<RunResult> {
    this.cancelDeadline = this.clock.schedule(() => this.deadline(), Math.max(0, this.options.deadline - this.clock.now()));
    this.session.start();
    // The workers are invoked before rank 0's own program runs: synchronous code there would
    // otherwise hold back the requests that start them.
    this.launchedAt = this.clock.now();
    const launched = (this.options.launchWorkers?.() ?? Promise.resolve()).catch((error: unknown) => this.workersNotStarted(error));
    if (this.options.liveness && this.options.size > 1) {
      this.liveness = new LivenessMonitor({
        size: this.options.size,
        launchedAt: () => this.launchedAt,
        checkedInAt: (rank) => this.started.get(rank)?.programAt,
        sentAt: (rank) => this.lastSent.get(rank),
        isRunning: (rank) => this.running.has(rank),
      }, this.options.liveness, (lost) => this.fail(new RankLostError(this.options.jobId, lost), lost.rank));
      this.liveness.start();
    }
    if (this.clock === systemClock && this.options.size > 1) {
      this.stopJudging = this.deadlocks.watch(this.clock, () => ({ running: this.session.isRunning, activity: this.session.activity() }),
        (blocked) => this.fail(new DeadlockError(this.options.jobId, blocked), 0));
    }
    void launched.then(async () => {
      if (!this.ended) this.ownProgramEnded(await this.session.run());
    });
    return this.ending.finally(async () => {
      this.cancelDeadline?.();
      this.cancelGrace?.();
      this.liveness?.stop();
      this.stopJudging?.();
      this.session.events.discard();
      await launched;
      await this.session.engine.close().catch(() => undefined);
    });
  }

  /** A control message from another rank. */
  report(message: ControlMessage, source?: number): void {
    const { jobId } = this.options;
    switch (message.type) {
      case 'events':
        this.onRankEvents(message.events);
        return;
      case 'done':
        if (!this.running.delete(message.rank)) return; // a duplicate report
        this.results[message.rank] = decode(message.result);
        this.ends.set(message.rank, { durationMs: message.durationMs, endAt: message.endAt, ...(message.firstMessageAt !== undefined ? { firstMessageAt: message.firstMessageAt } : {}) });
        if (message.trace) this.spans.set(message.rank, message.trace);
        addRequestCounts(this.workerRequests, message.requests);
        addLinkStats(this.workerLinks, message.link);
        this.deadlocks.workerDone(message.rank, message.traffic);
        if (message.unreceived) this.unreceived.push(...message.unreceived);
        this.rankFinished(message.rank, true);
        this.finish();
        return;
      case 'failed':
        if (!this.running.delete(message.rank)) return;
        this.rankFinished(message.rank, false);
        this.fail(new RankFailedError(jobId, message.rank, message.error), message.rank);
        return;
      case 'abort':
        this.running.delete(message.origin);
        this.fail(new JobAbortedError(jobId, message.origin, message.reason), message.origin);
        return;
      case 'timeout-report':
        this.waitStates.set(message.rank, { rank: message.rank, ...message.wait, silent: false });
        return;
    }
  }

  /** Events of any rank (rank 0's own included): kept for the result, and passed to the sink. */
  private onRankEvents(events: RankEvent[]): void {
    if (this.ended) return;
    for (const event of events) {
      if (event.kind === 'output') appendLines(this.output, event.lines);
      else if (event.kind === 'started') this.started.set(event.rank, event.start);
      else if (event.kind === 'heartbeat' && event.activity) this.deadlocks.heartbeat(event.rank, event.at, event.activity);
      this.noteSent(event);
    }
    this.options.sink?.onEvents(events, this.progress());
  }

  /** Keeps the newest stamp of the sender's own clock: what liveness judges silence by. */
  private noteSent(event: RankEvent): void {
    const at = event.kind === 'output' ? event.lines[event.lines.length - 1]?.at : event.at;
    if (at !== undefined && at > (this.lastSent.get(event.rank) ?? 0)) this.lastSent.set(event.rank, at);
  }

  private rankFinished(rank: number, ok: boolean): void {
    this.finishedCount++;
    this.options.sink?.onEvents([{ kind: 'finished', rank, at: this.clock.now(), ok }], this.progress());
  }

  /** Ends the job with `error`: every rank still running but `origin` (which knows) is told to abort. */
  fail(error: LambdaMpiError, origin: number): void {
    if (this.ended) return;
    const { jobId } = this.options;
    const reason = error instanceof JobAbortedError ? error.reason : error.message;
    // Rank 0's own lines are handed over synchronously: the flush puts them in the output now.
    void this.session.events.flush();
    this.ended = true;
    this.session.stop(new JobAbortedError(jobId, origin, reason));
    const toStop = [...this.running].filter((rank) => rank !== origin);
    void broadcastControl(this.session, toStop, { type: 'abort', origin, reason }).finally(() => {
      error.output = mergeOutput(this.output);
      this.rejectEnding(error);
    });
  }

  /** Ends the job with its result, once rank 0's program returned and every worker reported `done`. */
  finish(): void {
    if (this.ended || this.ownDurationMs === undefined || this.running.size > 0) return;
    // An ending that comes after the deadline is the deadline's: the timer could not fire while
    // synchronous code ran, but the job's time was up all the same.
    if (this.clock.now() > this.options.deadline) {
      this.deadline();
      return;
    }
    const { jobId, size } = this.options;
    // Every worker reported after its last message to rank 0 (one ordered link each): rank 0's count is whole.
    const unreceived = [...unreceivedOf(0, this.session.engine.unreceived()), ...this.unreceived].sort((a, b) => a.rank - b.rank);
    const mismatch = collectiveMismatchAtEnd(this.session.engine.failure, unreceived);
    if (mismatch) {
      this.fail(new RankFailedError(jobId, mismatch.rank, toRemoteErrorInfo(mismatch.error)), mismatch.rank);
      return;
    }
    void this.session.events.flush();
    this.ended = true;
    const ownStats = this.session.engine.stats;
    const firstMessageAt = this.session.engine.firstFrameAt;
    this.ends.set(0, { durationMs: this.ownDurationMs, endAt: this.session.endedAt ?? this.clock.now(), ...(firstMessageAt !== undefined ? { firstMessageAt } : {}) });
    if (this.session.tracer) this.spans.set(0, this.session.tracer.spans);
    const timings = this.timings();
    const ownRequests = withFileRequests(this.options.requestCounts?.(), jobId);
    const requests = ownRequests || Object.keys(this.workerRequests).length > 0 ? addRequestCounts(addRequestCounts({}, this.workerRequests), ownRequests) : undefined;
    this.resolveEnding({
      jobId,
      size,
      result: this.results[0],
      results: this.results,
      output: mergeOutput(this.output),
      timings,
      link: addLinkStats(addLinkStats(emptyLinkStats(), this.workerLinks), ownStats),
      ...(requests ? { requests } : {}),
      ...(unreceived.length > 0 ? { unreceived } : {}),
      ...(this.options.trace ? {
        trace: buildChromeTrace({
          jobId, size, startedAt: this.jobStartedAt, ranks: timings.ranks, spans: this.spans,
          ...(this.options.startup ? { jobSteps: this.options.startup.timeline } : {}),
        }),
      } : {}),
    });
  }

  /** The job's start: rank 0's handler on Lambda, rank 0's program in-process. */
  private get jobStartedAt(): number {
    return this.options.jobStartedAt ?? this.startedAt;
  }

  /** Where each rank's time went, from its check-in and its report, as offsets from the job's start. */
  private timings(): JobTimings {
    const origin = this.jobStartedAt;
    const offset = (at: number | undefined) => (at === undefined ? undefined : at - origin);
    const ranks: RankTiming[] = [];
    for (let rank = 0; rank < this.options.size; rank++) {
      const start = this.started.get(rank);
      const end = this.ends.get(rank);
      const timing: RankTiming = { rank, durationMs: end?.durationMs ?? 0 };
      const fields: Array<[keyof RankTiming, number | undefined]> = [
        ['invokedMs', offset(start?.invokedAt)], ['handlerMs', offset(start?.handlerAt)], ['initMs', start?.initMs],
        ['programMs', offset(start?.programAt)], ['firstMessageMs', offset(end?.firstMessageAt)], ['endMs', offset(end?.endAt)],
        ['memoryMb', start?.memoryMb],
      ];
      for (const [key, value] of fields) if (value !== undefined) (timing as unknown as Record<string, number>)[key] = value;
      if (start?.coldStart !== undefined) timing.coldStart = start.coldStart;
      ranks.push(timing);
    }
    const now = this.clock.now();
    const startupMs = Math.max(0, ...ranks.map((r) => r.programMs ?? 0));
    return {
      startedAt: new Date(origin).toISOString(),
      durationMs: now - origin,
      phases: { startupMs, runMs: now - origin - startupMs, cleanupMs: 0 },
      ...(this.options.startup ? { startup: this.options.startup.steps } : {}),
      ranks,
    };
  }

  /**
   * The job's time is up: rank 0 stops its own program (noting what it waits on) and gives the
   * workers one message latency of the transport to send their timeout reports.
   */
  deadline(): void {
    if (this.ended || this.deadlinePassed) return;
    this.deadlinePassed = true;
    const { jobId, timeoutMs } = this.options;
    let ownWait: RankWaitState | undefined;
    if (this.ownDurationMs === undefined) {
      ownWait = { rank: 0, ...reportedWait(this.session.engine.waitState()), silent: false };
      this.session.stop(new JobTimeoutError(jobId, timeoutMs, [ownWait]));
    } else if (this.ownRanPastDeadline) {
      ownWait = { rank: 0, silent: false };
    }
    this.cancelGrace = this.clock.schedule(() => this.reportGraceOver(ownWait), this.options.transport.reportGraceMs);
  }

  /** After the deadline's grace: fails the job with what every rank still running waits on. */
  reportGraceOver(ownWait: RankWaitState | undefined): void {
    const running: RankWaitState[] = ownWait ? [ownWait] : [];
    for (const rank of [...this.running].sort((a, b) => a - b)) {
      running.push(this.waitStates.get(rank) ?? { rank, silent: true });
    }
    this.fail(new JobTimeoutError(this.options.jobId, this.options.timeoutMs, running), 0);
  }

  private ownProgramEnded(outcome: ProgramOutcome): void {
    this.ownDurationMs = this.clock.now() - this.session.startedAt;
    this.ownRanPastDeadline = this.clock.now() > this.options.deadline;
    void this.session.events.flush();
    if (!this.session.stopped) this.rankFinished(0, outcome.ok);
    if (outcome.ok) {
      this.results[0] = outcome.value;
      this.finish();
    } else if (!this.session.stopped) {
      this.fail(new RankFailedError(this.options.jobId, 0, toRemoteErrorInfo(outcome.error)), 0);
    }
  }

  private workersNotStarted(error: unknown): void {
    const cause = error instanceof LambdaMpiError ? error : new RankFailedError(this.options.jobId, 0, toRemoteErrorInfo(error));
    this.fail(cause, 0);
  }
}

/** Appends one by one: a spread passes every line as an argument, and a rank's whole output overflows the call stack. */
function appendLines(into: StampedLine[], lines: StampedLine[]): void {
  for (const line of lines) into.push(line);
}
