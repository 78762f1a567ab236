import { currentRankSink, type OutputSink } from './output.ts';

/**
 * A rank that runs in the caller's own thread (inline) shares its process: `process.exit` would
 * end the caller with no word of which rank did it, and an error thrown where nothing catches it
 * (a timer, a promise nobody awaits) would crash the caller with Node's raw report. While inline
 * jobs run, both become the failure of the rank whose code did it, as they do in threads (where
 * the rank's thread dies alone) and on Lambda (where the rank's process does).
 */
export class ProcessExitInRankError extends Error {
  override readonly name = 'ProcessExitInRankError';
  constructor(readonly rank: number, readonly exitCode: number | string | null | undefined) {
    super(`rank ${rank} called process.exit(${exitCode ?? ''}): a rank that shares the process (--inline) does not end it; ` +
      'return from the program, throw, or call comm.abort(reason) to end the job');
  }
}

let guardedJobs = 0;
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

/** Guards the process while one inline job runs; the function returned ends the guard. */
export function guardProcessForInlineJob(): () => void {
  if (guardedJobs++ === 0) {
    originalExit = process.exit;
    process.exit = exitInRank;
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandledRejection);
  }
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (--guardedJobs > 0) return;
    if (process.exit === exitInRank) process.exit = originalExit!;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandledRejection);
  };
}
