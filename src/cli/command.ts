import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LambdaMpiError } from '../mpi/errors.ts';

/** Where a command writes: the process's streams, or a test's. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The CLI's exit codes (API.md, "The CLI"). */
export const EXIT_OK = 0;
/** The job failed, was cancelled or timed out; or the service's own tool (sls) failed. */
export const EXIT_FAILED = 1;
/** Bad usage, found before anything starts. */
export const EXIT_USAGE = 2;

/** One `lambda-mpi <name> …` command. */
export interface Command {
  readonly name: string;
  /** The command's own help: synopsis, what it does, its options. */
  readonly usage: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** Bad usage: the dispatcher prints the message and the command's usage, and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** What a command line gave: each flag's value (absent when not given and without a default). */
export interface CommandLine<O extends Options> {
  values: { [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string };
  positionals: string[];
}

/** Parses a command's arguments strictly: an unknown flag or a missing value is a UsageError. */
export function parseCommandLine<const O extends Options>(args: string[], options: O): CommandLine<O> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true }) as CommandLine<O>;
  } catch (error) {
    throw new UsageError(usageMessage(error as Error & { code?: string }));
  }
}

/** Node's parseArgs message without its advice on positionals that look like flags, which only confuses here. */
function usageMessage(error: Error & { code?: string }): string {
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return error.message.split('. To specify')[0]!;
  return error.message.split('\n').filter((line) => !line.startsWith('Did you forget')).join(' ');
}

/** Refuses positional arguments beyond those a command takes. */
export function noMorePositionals(rest: string[]): void {
  if (rest.length) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
}

/** The exit code of a job that did not succeed: bad usage when nothing ran because of what the user gave (arguments, a file that does not build). */
export function exitCodeOf(error: unknown): number {
  return error instanceof LambdaMpiError && (error.code === 'INVALID_ARGUMENT' || error.code === 'PROGRAM_BUILD') ? EXIT_USAGE : EXIT_FAILED;
}
