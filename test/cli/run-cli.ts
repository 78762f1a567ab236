import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The CLI's installed entry. */
export const cli = new URL('../../bin/lambda-mpi.mjs', import.meta.url).pathname;

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the installed entry (`bin/lambda-mpi.mjs`) with `args`, as a user's shell would; never rejects. */
export function lambdaMpi(...args: string[]): Promise<CliOutcome> {
  return lambdaMpiWith(process.env, ...args);
}

/**
 * The same with an environment of the caller's. A job on a local stage may print a whole page
 * (a report, a result) and take a cold start or two: room for both.
 */
export async function lambdaMpiWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliOutcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as CliOutcome;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
