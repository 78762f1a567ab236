import { encode } from '../mpi/codec/codec.ts';
import { JobAbortedError, JobTimeoutError, toRemoteErrorInfo } from '../mpi/errors.ts';
import type { ControlMessage } from './control.ts';
import { systemClock } from '../transport/clock.ts';
import { RankSession, broadcastControl, type RankOptions } from './rank-session.ts';

const ORCHESTRATOR = 0;

export interface WorkerRankOptions extends RankOptions {
  /** Starts this rank's children (the Lambda fan-out); if it fails, the rank fails. */
  launch?: () => Promise<void>;
  /** Epoch ms at which this process will be killed (its Lambda timeout): the rank reports just before. */
  hardStopAt?: number;
}

/**
 * A worker rank (1..N-1): runs the program and reports to rank 0 exactly once — its result, its
 * error, or at the deadline what it was blocked on. It never throws: a worker that failed must
 * still be heard (and in serverless-offline a throwing async handler kills the emulator).
 */
export async function runWorkerRank(options: WorkerRankOptions): Promise<void> {
  const { jobId, rank, size } = options;
  const clock = options.clock ?? systemClock;
  const others = Array.from({ length: size }, (_, r) => r).filter((r) => r !== rank);
  let reported = false;
  const session: RankSession = new RankSession(
    options,
    (message) => {
      if (message.type === 'abort') session.stop(new JobAbortedError(jobId, message.origin, message.reason));
    },
    (reason) => {
      reported = true;
      return broadcastControl(session, others, { type: 'abort', origin: rank, reason });
    },
  );
  /** The one report of this rank to rank 0; later ones are dropped. */
  const report = async (message: ControlMessage): Promise<void> => {
    if (reported) return;
    reported = true;
    await session.sendControl(ORCHESTRATOR, message).catch(() => undefined);
  };
  const failNow = (error: unknown) => {
    if (session.stopped) return;
    void report({ type: 'failed', rank, error: toRemoteErrorInfo(error), output: session.output });
    session.stop(error);
  };
  session.start();

  const timers = [
    clock.schedule(() => {
      if (!session.isRunning || session.stopped) return;
      const wait = session.engine.waitState();
      void report({ type: 'timeout-report', rank, output: session.output, ...(wait ? { wait } : {}) });
      session.stop(new JobTimeoutError(jobId, options.timeoutMs, [{ rank, ...wait, silent: false }]));
    }, Math.max(0, options.deadline - clock.now())),
  ];
  if (options.hardStopAt !== undefined && options.hardStopAt < options.deadline) {
    timers.push(clock.schedule(() => {
      if (!session.isRunning) return;
      failNow(new Error(
        `rank ${rank}'s function reaches its own timeout ${Math.round((options.deadline - options.hardStopAt!) / 1000)} s before the job's deadline; ` +
          'give the worker function a longer timeout or the job a shorter timeoutSeconds',
      ));
    }, Math.max(0, options.hardStopAt - clock.now())));
  }

  try {
    const launching = options.launch?.().catch(failNow);
    const outcome = await session.run();
    timers.forEach((cancel) => cancel());
    await launching;
    if (session.stopped) return; // rank 0 already knows why this rank stopped
    if (!outcome.ok) {
      await report({ type: 'failed', rank, error: toRemoteErrorInfo(outcome.error), output: session.output });
      return;
    }
    let result: Uint8Array;
    try {
      result = encode(outcome.value);
    } catch (error) {
      await report({ type: 'failed', rank, error: toRemoteErrorInfo(returnValueError(error)), output: session.output });
      return;
    }
    await report({ type: 'done', rank, result, output: session.output, durationMs: clock.now() - session.startedAt, link: session.engine.stats });
  } finally {
    timers.forEach((cancel) => cancel());
    await session.engine.close().catch(() => undefined);
  }
}

export function returnValueError(error: unknown): Error {
  return new Error(`the program's return value cannot be sent to rank 0: ${(error as Error).message}`);
}
