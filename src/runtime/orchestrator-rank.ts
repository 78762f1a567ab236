import { decode } from '../mpi/codec/codec.ts';
import {
  JobAbortedError, JobTimeoutError, LambdaMpiError, RankFailedError, toRemoteErrorInfo, type RankWaitState,
} from '../mpi/errors.ts';
import type { LinkStats } from '../mpi/p2p/link.ts';
import type { StampedLine } from './control.ts';
import { RankSession, broadcastControl, type RankOptions } from './rank-session.ts';
import { systemClock } from '../transport/clock.ts';
import { mergeOutput, type RankTiming, type RunResult } from './run-result.ts';

export interface OrchestratorOptions extends RankOptions {
  /** Starts ranks 1..N-1 (Lambda invocations); in-process runs start them themselves. */
  launchWorkers?: () => Promise<void>;
}

/**
 * Rank 0: runs its own part of the program and is the job's authority. It collects every
 * worker's report, turns the first failure or abort into the job's error and stops the others,
 * and at the deadline names the ranks still running and what each waits on.
 */
export function runOrchestratorRank(options: OrchestratorOptions): Promise<RunResult> {
  const { jobId, size, timeoutMs } = options;
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const pending = new Set(Array.from({ length: size - 1 }, (_, i) => i + 1));
  const results: unknown[] = new Array(size).fill(undefined);
  const timings: RankTiming[] = [];
  const output: StampedLine[] = [];
  const timeoutReports = new Map<number, RankWaitState>();
  const link: LinkStats = { duplicatesDropped: 0, reorderedHeld: 0 };
  let ownProgramDone = false;
  let settled = false;
  let resolveJob!: (result: RunResult) => void;
  let rejectJob!: (error: unknown) => void;
  const job = new Promise<RunResult>((resolve, reject) => {
    resolveJob = resolve;
    rejectJob = reject;
  });

  const session: RankSession = new RankSession(
    options,
    (message) => {
      switch (message.type) {
        case 'done':
          if (!pending.delete(message.rank)) return; // a duplicate report
          results[message.rank] = decode(message.result);
          timings.push({ rank: message.rank, durationMs: message.durationMs });
          link.duplicatesDropped += message.link.duplicatesDropped;
          link.reorderedHeld += message.link.reorderedHeld;
          appendLines(output, message.output);
          finishIfComplete();
          return;
        case 'failed':
          if (!pending.delete(message.rank)) return;
          appendLines(output, message.output);
          fail(new RankFailedError(jobId, message.rank, message.error), message.rank);
          return;
        case 'abort':
          pending.delete(message.origin);
          fail(new JobAbortedError(jobId, message.origin, message.reason), message.origin);
          return;
        case 'timeout-report':
          appendLines(output, message.output);
          timeoutReports.set(message.rank, { rank: message.rank, ...message.wait, silent: false });
          return;
      }
    },
    async (reason) => fail(new JobAbortedError(jobId, 0, reason), 0),
  );

  function fail(error: LambdaMpiError, origin: number): void {
    if (settled) return;
    settled = true;
    const reason = error instanceof JobAbortedError ? error.reason : error.message;
    session.stop(new JobAbortedError(jobId, origin, reason));
    const toStop = [...pending].filter((rank) => rank !== origin);
    void broadcastControl(session, toStop, { type: 'abort', origin, reason }).finally(() => {
      error.output = mergeOutput([...output, ...session.output]);
      rejectJob(error);
    });
  }

  function finishIfComplete(): void {
    if (settled || !ownProgramDone || pending.size > 0) return;
    settled = true;
    timings.push({ rank: 0, durationMs: ownDuration });
    resolveJob({
      jobId,
      size,
      result: results[0],
      results,
      output: mergeOutput([...output, ...session.output]),
      timings: {
        startedAt: new Date(startedAt).toISOString(),
        durationMs: clock.now() - startedAt,
        ranks: timings.sort((a, b) => a.rank - b.rank),
      },
      link: {
        duplicatesDropped: link.duplicatesDropped + session.engine.stats.duplicatesDropped,
        reorderedHeld: link.reorderedHeld + session.engine.stats.reorderedHeld,
      },
    });
  }

  let cancelGrace: (() => void) | undefined;
  const cancelDeadline = clock.schedule(() => {
    if (settled) return;
    const ownWait = ownProgramDone ? undefined : { rank: 0, ...session.engine.waitState(), silent: false };
    if (!ownProgramDone) session.stop(new JobTimeoutError(jobId, timeoutMs, [ownWait!]));
    // Give the workers one message latency to say what they were blocked on.
    cancelGrace = clock.schedule(() => {
      const running: RankWaitState[] = ownWait ? [ownWait] : [];
      for (const rank of [...pending].sort((a, b) => a - b)) running.push(timeoutReports.get(rank) ?? { rank, silent: true });
      fail(new JobTimeoutError(jobId, timeoutMs, running), 0);
    }, options.transport.reportGraceMs);
  }, Math.max(0, options.deadline - clock.now()));

  let ownDuration = 0;
  session.start();
  const launched = options.launchWorkers?.().catch((error: unknown) => {
    const cause = error instanceof LambdaMpiError ? error : new RankFailedError(jobId, 0, toRemoteErrorInfo(error));
    fail(cause, 0);
  });
  void session.run().then((outcome) => {
    ownProgramDone = true;
    ownDuration = clock.now() - session.startedAt;
    if (outcome.ok) {
      results[0] = outcome.value;
      finishIfComplete();
    } else if (!session.stopped) {
      fail(new RankFailedError(jobId, 0, toRemoteErrorInfo(outcome.error)), 0);
    }
  });

  return job.finally(async () => {
    cancelDeadline();
    cancelGrace?.();
    await launched;
    await session.engine.close().catch(() => undefined);
  });
}

/** Appends one by one: a spread of a rank's whole output overflows the call stack past ~100k lines. */
function appendLines(into: StampedLine[], lines: StampedLine[]): void {
  for (const line of lines) into.push(line);
}
