import { readFileSync } from 'node:fs';
import { MAX_SIZE } from '../mpi/constants.ts';
import { UsageError, noMorePositionals } from './command.ts';

/** What `run` and `model` both take: a program, -n, --input or --input-file, and --timeout, checked as the user typed them. */
export interface JobArguments {
  program: string;
  size: number;
  input: unknown;
  timeoutSeconds: number | undefined;
}

/** The flags behind JobArguments, for parseCommandLine. */
export const JOB_FLAGS = {
  np: { type: 'string', short: 'n' },
  input: { type: 'string' },
  'input-file': { type: 'string' },
  timeout: { type: 'string' },
} as const;

export function jobArguments(positionals: string[], values: { np?: string; input?: string; 'input-file'?: string; timeout?: string }): JobArguments {
  const [program, ...rest] = positionals;
  if (!program) throw new UsageError('missing the program: a bundled program name or a .ts/.js file');
  noMorePositionals(rest);
  if (values.np === undefined) throw new UsageError('missing -n <ranks>');
  if (!/^\d+$/.test(values.np)) throw new UsageError(`-n must be a whole number of ranks; received ${JSON.stringify(values.np)}`);
  const size = Number(values.np);
  if (size < 1 || size > MAX_SIZE) throw new UsageError(`-n must be a number of ranks in 1..${MAX_SIZE}; received ${values.np}`);
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0 && Number.isFinite(timeoutSeconds))) {
    throw new UsageError(`--timeout must be a positive number of seconds; received ${JSON.stringify(values.timeout)}`);
  }
  return { program, size, input: inputOf(values.input, values['input-file']), timeoutSeconds };
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
