import { currentRankSink, rankOwnsThread, type OutputSink } from './output.ts';

/**
 * A rank's program shares its process with lambda-mpi (and, inline, with the caller and the other
 * ranks): `process.exit` would end it with no word of which rank did it, and an error thrown where
 * nothing catches it (a timer, a promise nobody awaits) would crash it with Node's raw report, or,
 * on Lambda, end the rank's execution environment, so that rank 0 learns of it only when the
 * rank's heartbeats stop. While a rank's program runs, both become the failure of the rank whose
 * code did it: reported at once, with its own error, on every path.
 */
export class ProcessExitInRankError extends Error {
  override readonly name = 'ProcessExitInRankError';
  constructor(readonly rank: number, readonly exitCode: number | string | null | undefined) {
    super(`rank ${rank} called process.exit(${exitCode ?? ''}): a rank's program does not end the process it shares with lambda-mpi (and, inline, with the other ranks); ` +
      'return from the program, throw, or call comm.abort(reason) to end the job');
  }
}

let guardedRanks = 0;
let originalExit: typeof process.exit | undefined;

function failRank(sink: OutputSink | undefined, error: unknown): boolean {
  if (!sink?.onFatal) return false;
  sink.onFatal(error);
  return true;
}

const exitInRank = function exit(this: unknown, code?: number | string | null) {
  const sink = currentRankSink();
  // A rank in a worker thread of its own ends only its thread, which its job reports as such.
  if (!sink?.onFatal || rankOwnsThread()) return originalExit!.call(process, code);
  const error = new ProcessExitInRankError(sink.rank, code ?? process.exitCode);
  sink.onFatal(error);
  // process.exit never returns: the rank's code stops here.
  throw error;
} as typeof process.exit;

/** Likewise an uncaught exception, in the context of the callback that threw (a rank's timer). */
function onUncaught(error: Error): void {
  if (failRank(currentRankSink(), error)) return;
  // Not a rank's: as Node does when nobody listens, unless somebody else does.
  if (process.listenerCount('uncaughtException') > 1) return;
  process.stderr.write(`${error?.stack ?? String(error)}\n`);
  originalExit!.call(process, 1);
}

/** Node emits an unhandled rejection in the async context of the promise that rejected: the rank that made it. */
function onUnhandledRejection(reason: unknown): void {
  if (failRank(currentRankSink(), reason)) return;
  if (process.listenerCount('unhandledRejection') > 1) return;
  // Node's default: an unhandled rejection is an uncaught exception.
  throw reason;
}

/** Guards the process while one rank's program runs; the function returned ends the guard. */
export function guardProcessForRanks(): () => void {
  if (guardedRanks++ === 0) {
    originalExit = process.exit;
    process.exit = exitInRank;
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandledRejection);
  }
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (--guardedRanks > 0) return;
    if (process.exit === exitInRank) process.exit = originalExit!;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandledRejection);
  };
}
