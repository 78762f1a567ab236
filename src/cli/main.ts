import { parseArgs } from 'node:util';
import { JobCancelledError, LambdaMpiError, RankFailedError, describeWait } from '../mpi/errors.ts';
import { programNames } from '../programs/index.ts';
import { resolveProgram } from '../runtime/program-source.ts';
import { runLocal } from '../runtime/run-local.ts';
import type { OutputLine } from '../runtime/output.ts';

const USAGE = `Usage: lambda-mpi run <program-name | file.ts> -n <ranks> [options]

Runs every rank of a program in this process, like mpirun -np N: each rank in a worker thread of
its own (CPU-bound ranks run in parallel), or with --inline all of them in the CLI's own thread.

Options:
  -n, --np <N>         number of ranks (1..1024)
  --input <json>       the program's input, as JSON (same on every rank)
  --timeout <seconds>  fail the job after this many seconds (default 300)
  --tag-output         prefix every output line with [rank]
  --result             print rank 0's return value as JSON when the job ends
  --threads            every rank in a worker thread of its own (the default)
  --inline             every rank in this thread instead: no bundling, but a rank that never
                       yields then stops the timeout and Ctrl-C too
  -h, --help           show this help

Bundled programs: ${programNames().join(', ')}
A file must export a program made by defineProgram() as its default export.
Ctrl-C prints what each rank is doing (the call it waits in, or that it does not answer) and exits 1.`;

/** Returns the process exit code: 0 on success, 1 when the job failed, 2 for bad usage. */
export async function main(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        np: { type: 'string', short: 'n' },
        input: { type: 'string' },
        timeout: { type: 'string' },
        'tag-output': { type: 'boolean', default: false },
        result: { type: 'boolean', default: false },
        threads: { type: 'boolean', default: false },
        inline: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, target, ...rest] = positionals;
  if (command !== 'run') return usageError(io, command ? `unknown command "${command}"; the only command is "run"` : 'missing command "run"');
  if (!target) return usageError(io, 'missing the program: a bundled program name or a .ts/.js file');
  if (rest.length) return usageError(io, `unexpected arguments: ${rest.join(' ')}`);
  if (values.np === undefined) return usageError(io, 'missing -n <ranks>');
  const size = Number(values.np);
  let input: unknown;
  if (values.input !== undefined) {
    try {
      input = JSON.parse(values.input);
    } catch (error) {
      return usageError(io, `--input must be JSON: ${(error as Error).message}`);
    }
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout) * 1000;
  if (values.threads && values.inline) return usageError(io, '--threads and --inline exclude each other');
  // Threads by default: the CLI's own thread then stays free to enforce the timeout on a rank
  // that never yields and to answer Ctrl-C, and CPU-bound ranks use every core.
  const threads = !values.inline;

  const interrupt = new AbortController();
  const onSigint = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort(new Error('interrupted by Ctrl-C'));
  };
  if (threads) process.on('SIGINT', onSigint);
  try {
    const program = threads ? target : (await resolveProgram(target)).program;
    const tag = values['tag-output'];
    const print = (line: OutputLine) => {
      (line.stream === 'stderr' ? io.stderr : io.stdout).write(`${tag ? `[${line.rank}] ` : ''}${line.line}\n`);
    };
    const result = await runLocal(program, {
      size,
      input,
      onOutput: print,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(threads ? { threads, signal: interrupt.signal } : {}),
    });
    if (values.result) io.stdout.write(`${JSON.stringify(result.result, jsonReplacer)}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`lambda-mpi: ${describeFailure(error)}\n`);
    return error instanceof LambdaMpiError && error.code === 'INVALID_ARGUMENT' ? 2 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof RankFailedError) return `${error.message}\n${error.remote.stack ?? ''}`;
  if (error instanceof JobCancelledError) {
    const ranks = error.running.map((wait) => `  ${describeWait(wait)}`).join('\n');
    return `${error.message}\n${ranks || '  no rank was still running'}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

function usageError(io: { stderr: NodeJS.WritableStream }, message: string): number {
  io.stderr.write(`lambda-mpi: ${message}\n\n${USAGE}\n`);
  return 2;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}
