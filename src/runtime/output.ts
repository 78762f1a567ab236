import { AsyncLocalStorage } from 'node:async_hooks';
import { formatWithOptions } from 'node:util';

export type OutputStream = 'stdout' | 'stderr';

export interface OutputLine {
  rank: number;
  stream: OutputStream;
  line: string;
}

/** An output line in transit, stamped so rank 0 can interleave all ranks' lines by time. */
export interface StampedLine extends OutputLine {
  at: number;
}

/** Where one rank's console output goes while its program runs. */
export interface OutputSink {
  readonly rank: number;
  /** Called with each line as it is printed, in order. */
  readonly onLine: (line: OutputLine) => void;
  /** Fails the rank from outside its program's promise: it called process.exit, or threw where nothing catches. */
  readonly onFatal?: (error: unknown) => void;
}

/**
 * Ranks of one job share this process, so output cannot be attributed by globals: the rank's
 * sink rides along in async context, and console methods consult it. Outside any rank the
 * console behaves as before.
 */
const currentSink = new AsyncLocalStorage<OutputSink>();
/**
 * In a thread that runs a single rank (ranks in worker threads) everything printed is that
 * rank's: the sink is the thread's, and no async context is needed (whose hooks cost every
 * promise of the program some time on Node 20).
 */
let wholeThread = false;
let threadSink: OutputSink | undefined;
const CAPTURING = Symbol('lambda-mpi capturing console method');

const STREAM_OF: Record<string, OutputStream> = {
  log: 'stdout', info: 'stdout', debug: 'stdout', error: 'stderr', warn: 'stderr', trace: 'stderr',
};

/**
 * Wraps each console method that is not wrapped yet. Checked at every job start, because test
 * runners and programs may replace console methods between jobs.
 */
function install(): void {
  for (const [method, stream] of Object.entries(STREAM_OF)) {
    const original = (console as any)[method] as ((...args: unknown[]) => void) & { [CAPTURING]?: true };
    if (original[CAPTURING]) continue;
    const captured = function captured(this: unknown, ...args: unknown[]) {
      const sink = threadSink ?? currentSink.getStore();
      if (!sink) return original.apply(this, args);
      let text = formatWithOptions({ colors: false }, ...args);
      if (method === 'trace') text = `Trace: ${text}\n${new Error().stack?.split('\n').slice(2).join('\n') ?? ''}`;
      for (const line of text.split('\n')) {
        const entry: OutputLine = { rank: sink.rank, stream, line };
        // Outside the rank's context: a callback that prints must reach the real console.
        if (threadSink) {
          threadSink = undefined;
          try {
            sink.onLine(entry);
          } finally {
            threadSink = sink;
          }
        } else {
          currentSink.exit(sink.onLine, entry);
        }
      }
    };
    (console as any)[method] = Object.assign(captured, { [CAPTURING]: true as const });
  }
}

/** Runs `fn` with console output attributed to `sink`. */
export function withOutputSink<T>(sink: OutputSink, fn: () => T): T {
  install();
  if (wholeThread) {
    threadSink = sink;
    return fn();
  }
  return currentSink.run(sink, fn);
}

/** The sink of the rank whose code runs now; undefined outside every rank. */
export function currentRankSink(): OutputSink | undefined {
  return threadSink ?? currentSink.getStore();
}

/** This thread runs one rank only: from its run on, whatever the thread prints is that rank's. */
export function captureWholeThread(): void {
  wholeThread = true;
}
