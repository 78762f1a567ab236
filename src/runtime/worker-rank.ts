import { withFileRequests } from '../file/file-requests.ts';
import { unreceivedOf } from './unreceived.ts';
import { encode } from '../mpi/codec/codec.ts';
import { JobAbortedError, JobTimeoutError, toRemoteErrorInfo } from '../mpi/errors.ts';
import type { ControlMessage } from './control.ts';
import { systemClock, type Clock } from '../transport/clock.ts';
import { reportedWait } from '../mpi/p2p/wait-description.ts';
import { RankSession, broadcastControl, type ProgramOutcome, type RankOptions } from './rank-session.ts';

const RANK_ZERO = 0;

/**
 * A stopped rank's program ends at its next communication call. One that is not in one (awaiting
 * a timer, a fetch) is waited for this long, then abandoned: its rank ends (and its function
 * returns), and the program finds every call failing if it ever makes one.
 */
export const STOP_GRACE_MS = 1_000;

export interface WorkerRankOptions extends RankOptions {
  /** Starts this rank's children (the Lambda fan-out); if it fails, the rank fails. */
  launchChildren?: () => Promise<void>;
  /** Epoch ms at which this process will be killed (its Lambda timeout): the rank reports just before. */
  hardStopAt?: number;
}

/** Runs a worker rank (1..N-1) to its one report; never throws (see WorkerRank). Resolves to how it ended. */
export function runWorkerRank(options: WorkerRankOptions): Promise<string> {
  return new WorkerRank(options).run();
}

/**
 * A worker rank: runs the program and reports to rank 0 exactly once, ending with one of
 *
 * - done: its program returned → `done` with the encoded result;
 * - fail: its program threw, its result cannot be encoded, its children could not be started,
 *   or its function is about to be killed (functionTimeoutNear) → `failed`;
 * - deadline: the job's time is up while it runs → `timeout-report` with what it waits on;
 * - stopped by rank 0's `abort`, or after its own comm.abort (which told every rank itself) →
 *   nothing more: rank 0 already knows.
 *
 * It never throws: a worker that failed must still be heard (and in serverless-offline a
 * throwing async handler kills the emulator).
 */
export class WorkerRank {
  private readonly session: RankSession;
  private reported = false;
  private readonly timers: Array<() => void> = [];
  private readonly clock: Clock;

  constructor(private readonly options: WorkerRankOptions) {
    this.clock = options.clock ?? systemClock;
    const { jobId, rank, size } = options;
    this.session = new RankSession(
      options,
      (message) => {
        if (message.type !== 'abort') return;
        // Rank 0 ended the job: it no longer listens, so what this rank still had to say is dropped.
        this.session.events.discard();
        this.session.stop(new JobAbortedError(jobId, message.origin, message.reason));
      },
      (reason) => {
        this.reported = true;
        // Its lines go out before the abort, so the job's error carries them.
        void this.session.events.close();
        // Listed only when needed: every worker of a large job holding all N ranks costs O(N²).
        const others = Array.from({ length: size }, (_, r) => r).filter((r) => r !== rank);
        return broadcastControl(this.session, others, { type: 'abort', origin: rank, reason });
      },
      (events) => this.session.sendControl(RANK_ZERO, { type: 'events', rank, events }),
    );
  }

  /**
   * Starts the rank; call once. Resolves when its report is sent and its resources are released,
   * to how it ended (its report, or why it was stopped), for its function's log.
   */
  async run(): Promise<string> {
    const { options, session } = this;
    session.start();
    this.timers.push(this.clock.schedule(() => this.deadline(), Math.max(0, options.deadline - this.clock.now())));
    const { hardStopAt } = options;
    if (hardStopAt !== undefined && hardStopAt < options.deadline) {
      this.timers.push(this.clock.schedule(() => this.functionTimeoutNear(hardStopAt), Math.max(0, hardStopAt - this.clock.now())));
    }
    try {
      // Children are invoked before this rank's program runs: synchronous code there would
      // otherwise hold back the requests that start them.
      await options.launchChildren?.().catch((error: unknown) => this.fail(error));
      let graceTimer: NodeJS.Timeout | undefined;
      const abandoned = session.stopping.then(() => new Promise<ProgramOutcome>((resolve) => {
        graceTimer = setTimeout(() => resolve({ ok: false, error: session.stopError }), STOP_GRACE_MS);
        graceTimer.unref();
      }));
      const outcome: ProgramOutcome = session.stopped ? { ok: false, error: session.stopError } : await Promise.race([session.run(), abandoned]);
      clearTimeout(graceTimer);
      this.clearTimers();
      await this.programEnded(outcome);
    } finally {
      this.clearTimers();
      await session.events.close();
      await session.engine.close().catch(() => undefined);
    }
    if (session.stopped) return `stopped: ${(session.stopError as Error)?.message ?? String(session.stopError)}`;
    return this.reportType ?? 'ended without a report';
  }

  /** The type of the report this rank sent, if it sent one. */
  private reportType: string | undefined;

  /**
   * The rank's one report to rank 0; later ones are dropped. Its pending events go first (their
   * frames take the link's earlier sequence numbers), so rank 0 has all its output with the report.
   */
  async report(message: ControlMessage): Promise<void> {
    if (this.reported) return;
    this.reported = true;
    this.reportType = message.type;
    const flushed = this.session.events.close();
    await this.session.sendControl(RANK_ZERO, message).catch(() => undefined);
    await flushed;
  }

  /** Reports `error` and stops the program, unless the rank was already stopped. */
  fail(error: unknown): void {
    if (this.session.stopped) return;
    void this.report({ type: 'failed', rank: this.options.rank, error: toRemoteErrorInfo(error) });
    this.session.stop(error);
  }

  /** The job's time is up: says what this rank waits on, then stops it. */
  deadline(): void {
    const { session } = this;
    if (!session.isRunning || session.stopped) return;
    const { jobId, rank, timeoutMs } = this.options;
    const wait = reportedWait(session.engine.waitState());
    void this.report({ type: 'timeout-report', rank, ...(wait ? { wait } : {}) });
    session.stop(new JobTimeoutError(jobId, timeoutMs, [{ rank, ...wait, silent: false }]));
  }

  /** The function's own timeout comes before the job's deadline: fail while a report can still go out. */
  functionTimeoutNear(hardStopAt: number): void {
    if (!this.session.isRunning) return;
    const { rank, deadline } = this.options;
    this.fail(new Error(
      `rank ${rank}'s function reaches its own timeout ${Math.round((deadline - hardStopAt) / 1000)} s before the job's deadline; ` +
        'give the worker function a longer timeout or the job a shorter timeoutSeconds, or, for a job longer than one Lambda, ' +
        'call `await comm.checkpointIfDue(state)` in the program\'s loop so that it continues in a next generation (docs/long-jobs.md)',
    ));
  }

  private async programEnded(outcome: ProgramOutcome): Promise<void> {
    const { session } = this;
    const { rank } = this.options;
    if (session.stopped) return; // rank 0 already knows why this rank stopped
    if (Date.now() > this.options.deadline) {
      // Its program ran past the deadline in code that never yielded (the deadline's timer could not fire).
      await this.report({ type: 'timeout-report', rank });
      return;
    }
    if (!outcome.ok) {
      await this.report({ type: 'failed', rank, error: toRemoteErrorInfo(outcome.error) });
      return;
    }
    let result: Uint8Array;
    try {
      result = encode(outcome.value);
    } catch (error) {
      await this.report({ type: 'failed', rank, error: toRemoteErrorInfo(returnValueError(error)) });
      return;
    }
    const requests = withFileRequests(this.options.requestCounts?.(), this.options.jobId);
    const firstMessageAt = session.engine.firstFrameAt;
    const unreceived = unreceivedOf(rank, session.engine.unreceived());
    await this.report({
      type: 'done', rank, result, durationMs: this.clock.now() - session.startedAt, link: session.engine.stats, endAt: session.endedAt ?? this.clock.now(),
      ...(firstMessageAt !== undefined ? { firstMessageAt } : {}),
      ...(requests ? { requests } : {}),
      ...(session.tracer ? { trace: session.tracer.spans } : {}),
      traffic: session.engine.traffic(),
      ...(unreceived.length > 0 ? { unreceived } : {}),
    });
  }

  private clearTimers(): void {
    this.timers.forEach((cancel) => cancel());
  }
}

export function returnValueError(error: unknown): Error {
  return new Error(`the program's return value cannot be sent to rank 0: ${(error as Error).message}`);
}
