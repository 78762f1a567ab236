import { decode } from '../mpi/codec/codec.ts';
import {
  JobAbortedError, JobTimeoutError, LambdaMpiError, RankFailedError, toRemoteErrorInfo, type RankWaitState,
} from '../mpi/errors.ts';
import type { LinkStats } from '../mpi/p2p/link.ts';
import type { ControlMessage, StampedLine } from './control.ts';
import { RankSession, broadcastControl, type ProgramOutcome, type RankOptions } from './rank-session.ts';
import { mergeOutput, type RankTiming, type RunResult } from './run-result.ts';

export interface RankZeroOptions extends RankOptions {
  /** Starts ranks 1..N-1 (Lambda invocations); in-process runs start them themselves. */
  launchWorkers?: () => Promise<void>;
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
  private readonly startedAt = Date.now();
  /** Workers that have not reported `done` or `failed` (or asked to abort) yet. */
  private readonly running: Set<number>;
  /** Every rank's return value, index = rank. */
  private readonly results: unknown[];
  private readonly timings: RankTiming[] = [];
  /** What the workers sent with their reports; rank 0's own lines are in the session. */
  private readonly workerOutput: StampedLine[] = [];
  private readonly workerLinks: LinkStats = { duplicatesDropped: 0, reorderedHeld: 0 };
  /** What each worker said it was blocked on, from its `timeout-report`. */
  private readonly waitStates = new Map<number, RankWaitState>();
  /** Rank 0's own program: undefined while it runs, then how long it took. */
  private ownDurationMs: number | undefined;
  private ended = false;
  private readonly ending: Promise<RunResult>;
  private resolveEnding!: (result: RunResult) => void;
  private rejectEnding!: (error: unknown) => void;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RankZeroOptions) {
    this.running = new Set(Array.from({ length: options.size - 1 }, (_, i) => i + 1));
    this.results = new Array(options.size).fill(undefined);
    this.ending = new Promise<RunResult>((resolve, reject) => {
      this.resolveEnding = resolve;
      this.rejectEnding = reject;
    });
    this.session = new RankSession(
      options,
      (message) => this.report(message),
      async (reason) => this.fail(new JobAbortedError(options.jobId, 0, reason), 0),
    );
  }

  /** Starts the job; call once. Settles with the job's ending, after rank 0's resources are released. */
  run(): Promise<RunResult> {
    this.deadlineTimer = setTimeout(() => this.deadline(), Math.max(0, this.options.deadline - Date.now()));
    this.session.start();
    const launched = this.options.launchWorkers?.().catch((error: unknown) => this.workersNotStarted(error));
    void this.session.run().then((outcome) => this.ownProgramEnded(outcome));
    return this.ending.finally(async () => {
      clearTimeout(this.deadlineTimer);
      clearTimeout(this.graceTimer);
      await launched;
      await this.session.engine.close().catch(() => undefined);
    });
  }

  /** A control message from another rank. */
  report(message: ControlMessage): void {
    const { jobId } = this.options;
    switch (message.type) {
      case 'done':
        if (!this.running.delete(message.rank)) return; // a duplicate report
        this.results[message.rank] = decode(message.result);
        this.timings.push({ rank: message.rank, durationMs: message.durationMs });
        this.workerLinks.duplicatesDropped += message.link.duplicatesDropped;
        this.workerLinks.reorderedHeld += message.link.reorderedHeld;
        appendLines(this.workerOutput, message.output);
        this.finish();
        return;
      case 'failed':
        if (!this.running.delete(message.rank)) return;
        appendLines(this.workerOutput, message.output);
        this.fail(new RankFailedError(jobId, message.rank, message.error), message.rank);
        return;
      case 'abort':
        this.running.delete(message.origin);
        this.fail(new JobAbortedError(jobId, message.origin, message.reason), message.origin);
        return;
      case 'timeout-report':
        appendLines(this.workerOutput, message.output);
        this.waitStates.set(message.rank, { rank: message.rank, ...message.wait, silent: false });
        return;
    }
  }

  /** Ends the job with `error`: every rank still running but `origin` (which knows) is told to abort. */
  fail(error: LambdaMpiError, origin: number): void {
    if (this.ended) return;
    this.ended = true;
    const { jobId } = this.options;
    const reason = error instanceof JobAbortedError ? error.reason : error.message;
    this.session.stop(new JobAbortedError(jobId, origin, reason));
    const toStop = [...this.running].filter((rank) => rank !== origin);
    void broadcastControl(this.session, toStop, { type: 'abort', origin, reason }).finally(() => {
      error.output = mergeOutput([...this.workerOutput, ...this.session.output]);
      this.rejectEnding(error);
    });
  }

  /** Ends the job with its result, once rank 0's program returned and every worker reported `done`. */
  finish(): void {
    if (this.ended || this.ownDurationMs === undefined || this.running.size > 0) return;
    this.ended = true;
    const { jobId, size } = this.options;
    const ownStats = this.session.engine.stats;
    this.timings.push({ rank: 0, durationMs: this.ownDurationMs });
    this.resolveEnding({
      jobId,
      size,
      result: this.results[0],
      results: this.results,
      output: mergeOutput([...this.workerOutput, ...this.session.output]),
      timings: {
        startedAt: new Date(this.startedAt).toISOString(),
        durationMs: Date.now() - this.startedAt,
        ranks: this.timings.sort((a, b) => a.rank - b.rank),
      },
      link: {
        duplicatesDropped: this.workerLinks.duplicatesDropped + ownStats.duplicatesDropped,
        reorderedHeld: this.workerLinks.reorderedHeld + ownStats.reorderedHeld,
      },
    });
  }

  /**
   * The job's time is up: rank 0 stops its own program (noting what it waits on) and gives the
   * workers one message latency of the transport to send their timeout reports.
   */
  deadline(): void {
    if (this.ended) return;
    const { jobId, timeoutMs } = this.options;
    let ownWait: RankWaitState | undefined;
    if (this.ownDurationMs === undefined) {
      ownWait = { rank: 0, ...this.session.engine.waitState(), silent: false };
      this.session.stop(new JobTimeoutError(jobId, timeoutMs, [ownWait]));
    }
    this.graceTimer = setTimeout(() => this.reportGraceOver(ownWait), this.options.transport.reportGraceMs);
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
    this.ownDurationMs = Date.now() - this.session.startedAt;
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
