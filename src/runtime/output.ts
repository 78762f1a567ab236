import { AsyncLocalStorage } from 'node:async_hooks';
import { formatWithOptions } from 'node:util';

export type OutputStream = 'stdout' | 'stderr';

export interface OutputLine {
  rank: number;
  stream: OutputStream;
  line: string;
}

/** Where one rank's console output goes while its program runs. */
export interface OutputSink {
  readonly rank: number;
  /** Lines in the order this rank printed them. */
  readonly lines: OutputLine[];
  /** Called as each line is printed (the CLI's live output; the Lambda's own log). */
  readonly onLine?: (line: OutputLine) => void;
}

/**
 * Ranks of one job share this process, so output cannot be attributed by globals: the rank's
 * sink rides along in async context, and console methods consult it. Outside any rank the
 * console behaves as before.
 */
const currentSink = new AsyncLocalStorage<OutputSink>();
let installed = false;

const STREAM_OF: Record<string, OutputStream> = {
  log: 'stdout', info: 'stdout', debug: 'stdout', error: 'stderr', warn: 'stderr', trace: 'stderr',
};

function install(): void {
  if (installed) return;
  installed = true;
  for (const [method, stream] of Object.entries(STREAM_OF)) {
    const original = (console as any)[method] as (...args: unknown[]) => void;
    (console as any)[method] = function captured(this: unknown, ...args: unknown[]) {
      const sink = currentSink.getStore();
      if (!sink) return original.apply(this, args);
      let text = formatWithOptions({ colors: false }, ...args);
      if (method === 'trace') text = `Trace: ${text}\n${new Error().stack?.split('\n').slice(2).join('\n') ?? ''}`;
      for (const line of text.split('\n')) {
        const entry: OutputLine = { rank: sink.rank, stream, line };
        sink.lines.push(entry);
        sink.onLine?.(entry);
      }
    };
  }
}

/** Runs `fn` with console output attributed to `sink`. */
export function withOutputSink<T>(sink: OutputSink, fn: () => T): T {
  install();
  return currentSink.run(sink, fn);
}
