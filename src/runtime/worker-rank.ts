import { encode } from '../codec/codec.ts';
import { JobAbortedError, JobTimeoutError, toRemoteErrorInfo } from '../errors.ts';
import { RankSession, broadcastControl, type RankOptions } from './rank-session.ts';

const ORCHESTRATOR = 0;

/**
 * A worker rank (1..N-1): runs the program and reports to rank 0 exactly once — its result, its
 * error, or at the deadline what it was blocked on. It never throws: a worker that failed must
 * still be heard (and in serverless-offline a throwing async handler kills the emulator).
 */
export async function runWorkerRank(options: RankOptions): Promise<void> {
  const { jobId, rank, size } = options;
  const others = Array.from({ length: size }, (_, r) => r).filter((r) => r !== rank);
  const session: RankSession = new RankSession(
    options,
    (message) => {
      if (message.type === 'abort') session.stop(new JobAbortedError(jobId, message.origin, message.reason));
    },
    (reason) => broadcastControl(session, others, { type: 'abort', origin: rank, reason }),
  );
  session.start();

  const timer = setTimeout(() => {
    if (!session.isRunning || session.stopped) return;
    const wait = session.engine.waitState();
    void session
      .sendControl(ORCHESTRATOR, { type: 'timeout-report', rank, output: session.output, ...(wait ? { wait } : {}) })
      .catch(() => undefined);
    session.stop(new JobTimeoutError(jobId, options.timeoutMs, [{ rank, ...wait, silent: false }]));
  }, Math.max(0, options.deadline - Date.now()));

  try {
    const outcome = await session.run();
    clearTimeout(timer);
    if (session.stopped) return; // rank 0 already knows why this rank stopped
    if (outcome.ok) {
      let result: Uint8Array;
      try {
        result = encode(outcome.value);
      } catch (error) {
        await session.sendControl(ORCHESTRATOR, { type: 'failed', rank, error: toRemoteErrorInfo(returnValueError(error)), output: session.output });
        return;
      }
      await session.sendControl(ORCHESTRATOR, {
        type: 'done', rank, result, output: session.output, durationMs: Date.now() - session.startedAt, link: session.engine.stats,
      });
    } else {
      await session.sendControl(ORCHESTRATOR, { type: 'failed', rank, error: toRemoteErrorInfo(outcome.error), output: session.output });
    }
  } catch {
    // The report itself could not be sent: rank 0 will name this rank as silent at the deadline.
  } finally {
    clearTimeout(timer);
    await session.engine.close().catch(() => undefined);
  }
}

export function returnValueError(error: unknown): Error {
  return new Error(`the program's return value cannot be sent to rank 0: ${(error as Error).message}`);
}
