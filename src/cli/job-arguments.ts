import { readFileSync } from 'node:fs';
import { checkJobRequest, type JobRequest } from '../job-store/job-request.ts';
import { MAX_SIZE } from '../mpi/constants.ts';
import { InvalidArgumentError } from '../mpi/errors.ts';
import { UsageError, noMorePositionals } from './command.ts';

/** The flags of a job request, for parseCommandLine. */
export const JOB_FLAGS = {
  np: { type: 'string', short: 'n' },
  input: { type: 'string' },
  'input-file': { type: 'string' },
  timeout: { type: 'string' },
} as const;

/**
 * What `run` and `model` both take, as the user typed it (a program, -n, --input or --input-file,
 * --timeout): read from the flags, then checked by the one check of a job request, whose
 * refusals are said in the flags' words (bad usage, exit 2).
 */
export function jobArguments(positionals: string[], values: { np?: string; input?: string; 'input-file'?: string; timeout?: string }): JobRequest {
  const [program, ...rest] = positionals;
  if (!program) throw new UsageError('missing the program: a bundled program name or a .ts/.js file');
  noMorePositionals(rest);
  if (values.np === undefined) throw new UsageError('missing -n <ranks>');
  if (!/^\d+$/.test(values.np)) throw new UsageError(`-n must be a whole number of ranks; received ${JSON.stringify(values.np)}`);
  const input = inputOf(values.input, values['input-file']);
  try {
    return checkJobRequest({
      program,
      size: Number(values.np),
      ...(input !== undefined ? { input } : {}),
      ...(values.timeout !== undefined ? { timeoutSeconds: Number(values.timeout) } : {}),
    });
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    if (error.argument === 'size') throw new UsageError(`-n must be a number of ranks in 1..${MAX_SIZE}; received ${values.np}`);
    if (error.argument === 'timeoutSeconds') throw new UsageError(`--timeout must be a positive number of seconds; received ${JSON.stringify(values.timeout)}`);
    throw new UsageError(error.message);
  }
}

function inputOf(json: string | undefined, file: string | undefined): unknown {
  if (json !== undefined && file !== undefined) throw new UsageError('--input and --input-file exclude each other: give the input one way');
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--input-file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--input-file ${file} must hold JSON: ${(error as Error).message}`);
    }
  }
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new UsageError(`--input must be JSON: ${(error as Error).message}`);
  }
}
