import { currentRankSink, type OutputSink } from './output.ts';

/**
 * A rank's program shares its process with lambda-mpi (and, inline, with the caller and the other
 * ranks). An error thrown where nothing catches it (a timer, a promise nobody awaits) would crash
 * it with Node's raw report, or, on Lambda, end the rank's execution environment, so that rank 0
 * learns of it only when the rank's heartbeats stop: while a rank's program runs, it becomes the
 * failure of the rank whose code threw, reported at once with its own error, on every path.
 * Inline, `process.exit` would end the caller with no word of which rank did it: there it becomes
 * that rank's failure too. Elsewhere it ends the rank's own process or thread, as it says, and the
 * job reports that rank as lost (Lambda) or its thread as ended (threads).
 */
export class ProcessExitInRankError extends Error {
  override readonly name = 'ProcessExitInRankError';
  constructor(readonly rank: number, readonly exitCode: number | string | null | undefined) {
    super(`rank ${rank} called process.exit(${exitCode ?? ''}): ranks that run in the caller's process (inline) do not end it; ` +
      'return from the program, throw, or call comm.abort(reason) to end the job');
  }
}

let guardedRanks = 0;
let inlineJobs = 0;
let originalExit: typeof process.exit | undefined;

function failRank(sink: OutputSink | undefined, error: unknown): boolean {
  if (!sink?.onFatal) return false;
  sink.onFatal(error);
  return true;
}

const exitInRank = function exit(this: unknown, code?: number | string | null) {
  const sink = currentRankSink();
  if (!sink?.onFatal) return originalExit!.call(process, code);
  const error = new ProcessExitInRankError(sink.rank, code ?? process.exitCode);
  sink.onFatal(error);
  // process.exit never returns: the rank's code stops here.
  throw error;
} as typeof process.exit;

/** Node emits an uncaught exception in the async context of the callback that threw (a rank's timer): the rank whose code it is. */
function onUncaught(error: Error): void {
  if (failRank(currentRankSink(), error)) return;
  // Not a rank's: as Node does when nobody listens, unless somebody else does.
  if (process.listenerCount('uncaughtException') > 1) return;
  process.stderr.write(`${error?.stack ?? String(error)}\n`);
  process.exit(1);
}

/** Likewise an unhandled rejection, in the context of the promise that rejected. */
function onUnhandledRejection(reason: unknown): void {
  if (failRank(currentRankSink(), reason)) return;
  if (process.listenerCount('unhandledRejection') > 1) return;
  // Node's default: an unhandled rejection is an uncaught exception.
  throw reason;
}

/** Guards the process while one rank's program runs; the function returned ends the guard. */
export function guardProcessForRanks(): () => void {
  if (guardedRanks++ === 0) {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandledRejection);
  }
  return once(() => {
    if (--guardedRanks > 0) return;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandledRejection);
  });
}

/** While an inline job runs, a rank's process.exit fails that rank instead of ending the caller; the function returned ends it. */
export function guardProcessExitForInlineJob(): () => void {
  if (inlineJobs++ === 0) {
    originalExit = process.exit;
    process.exit = exitInRank;
  }
  return once(() => {
    if (--inlineJobs > 0) return;
    if (process.exit === exitInRank) process.exit = originalExit!;
  });
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
