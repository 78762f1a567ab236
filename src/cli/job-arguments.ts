import { UsageError, noMorePositionals } from './command.ts';

/** What `run` and `model` both take: a program, -n, --input and --timeout, checked as the user typed them. */
export interface JobArguments {
  program: string;
  size: number;
  input: unknown;
  timeoutSeconds: number | undefined;
}

export function jobArguments(positionals: string[], values: { np?: string; input?: string; timeout?: string }): JobArguments {
  const [program, ...rest] = positionals;
  if (!program) throw new UsageError('missing the program: a bundled program name or a .ts/.js file');
  noMorePositionals(rest);
  if (values.np === undefined) throw new UsageError('missing -n <ranks>');
  if (!/^\d+$/.test(values.np)) throw new UsageError(`-n must be a whole number of ranks; received ${JSON.stringify(values.np)}`);
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0 && Number.isFinite(timeoutSeconds))) {
    throw new UsageError(`--timeout must be a positive number of seconds; received ${JSON.stringify(values.timeout)}`);
  }
  let input: unknown;
  if (values.input !== undefined) {
    try {
      input = JSON.parse(values.input);
    } catch (error) {
      throw new UsageError(`--input must be JSON: ${(error as Error).message}`);
    }
  }
  return { program, size: Number(values.np), input, timeoutSeconds };
}
