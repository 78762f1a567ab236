import { encode } from '../mpi/codec/codec.ts';
import { JobAbortedError, JobTimeoutError, toRemoteErrorInfo } from '../mpi/errors.ts';
import type { ControlMessage } from './control.ts';
import { RankSession, broadcastControl, type ProgramOutcome, type RankOptions } from './rank-session.ts';

const RANK_ZERO = 0;

export interface WorkerRankOptions extends RankOptions {
  /** Starts this rank's children (the Lambda fan-out); if it fails, the rank fails. */
  launchChildren?: () => Promise<void>;
  /** Epoch ms at which this process will be killed (its Lambda timeout): the rank reports just before. */
  hardStopAt?: number;
}

/** Runs a worker rank (1..N-1) to its one report; never throws (see WorkerRank). */
export function runWorkerRank(options: WorkerRankOptions): Promise<void> {
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
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: WorkerRankOptions) {
    const { jobId, rank, size } = options;
    const others = Array.from({ length: size }, (_, r) => r).filter((r) => r !== rank);
    this.session = new RankSession(
      options,
      (message) => {
        if (message.type === 'abort') this.session.stop(new JobAbortedError(jobId, message.origin, message.reason));
      },
      (reason) => {
        this.reported = true;
        return broadcastControl(this.session, others, { type: 'abort', origin: rank, reason });
      },
    );
  }

  /** Starts the rank; call once. Resolves when its report is sent and its resources are released. */
  async run(): Promise<void> {
    const { options, session } = this;
    session.start();
    this.timers.push(setTimeout(() => this.deadline(), Math.max(0, options.deadline - Date.now())));
    const { hardStopAt } = options;
    if (hardStopAt !== undefined && hardStopAt < options.deadline) {
      this.timers.push(setTimeout(() => this.functionTimeoutNear(hardStopAt), Math.max(0, hardStopAt - Date.now())));
    }
    try {
      const launching = options.launchChildren?.().catch((error: unknown) => this.fail(error));
      const outcome = await session.run();
      this.clearTimers();
      await launching;
      await this.programEnded(outcome);
    } finally {
      this.clearTimers();
      await session.engine.close().catch(() => undefined);
    }
  }

  /** The rank's one report to rank 0; later ones are dropped. */
  async report(message: ControlMessage): Promise<void> {
    if (this.reported) return;
    this.reported = true;
    await this.session.sendControl(RANK_ZERO, message).catch(() => undefined);
  }

  /** Reports `error` and stops the program, unless the rank was already stopped. */
  fail(error: unknown): void {
    if (this.session.stopped) return;
    void this.report({ type: 'failed', rank: this.options.rank, error: toRemoteErrorInfo(error), output: this.session.output });
    this.session.stop(error);
  }

  /** The job's time is up: says what this rank waits on, then stops it. */
  deadline(): void {
    const { session } = this;
    if (!session.isRunning || session.stopped) return;
    const { jobId, rank, timeoutMs } = this.options;
    const wait = session.engine.waitState();
    void this.report({ type: 'timeout-report', rank, output: session.output, ...(wait ? { wait } : {}) });
    session.stop(new JobTimeoutError(jobId, timeoutMs, [{ rank, ...wait, silent: false }]));
  }

  /** The function's own timeout comes before the job's deadline: fail while a report can still go out. */
  functionTimeoutNear(hardStopAt: number): void {
    if (!this.session.isRunning) return;
    const { rank, deadline } = this.options;
    this.fail(new Error(
      `rank ${rank}'s function reaches its own timeout ${Math.round((deadline - hardStopAt) / 1000)} s before the job's deadline; ` +
        'give the worker function a longer timeout or the job a shorter timeoutSeconds',
    ));
  }

  private async programEnded(outcome: ProgramOutcome): Promise<void> {
    const { session } = this;
    const { rank } = this.options;
    if (session.stopped) return; // rank 0 already knows why this rank stopped
    if (!outcome.ok) {
      await this.report({ type: 'failed', rank, error: toRemoteErrorInfo(outcome.error), output: session.output });
      return;
    }
    let result: Uint8Array;
    try {
      result = encode(outcome.value);
    } catch (error) {
      await this.report({ type: 'failed', rank, error: toRemoteErrorInfo(returnValueError(error)), output: session.output });
      return;
    }
    await this.report({ type: 'done', rank, result, output: session.output, durationMs: Date.now() - session.startedAt, link: session.engine.stats });
  }

  private clearTimers(): void {
    this.timers.forEach(clearTimeout);
  }
}

export function returnValueError(error: unknown): Error {
  return new Error(`the program's return value cannot be sent to rank 0: ${(error as Error).message}`);
}
