import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { forEachLine } from '../../tools/local-aws/child-process.ts';

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

/** A CLI process still running: its lines as they come, and its exit code when it ends. */
export interface RunningCli {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

/** Starts the installed entry with `args` and collects its lines while it runs (for live output, Ctrl-C, a stack dying under it). */
export function startLambdaMpi(env: NodeJS.ProcessEnv, ...args: string[]): RunningCli {
  const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  forEachLine(child.stdout!, (line) => stdout.push(line));
  forEachLine(child.stderr!, (line) => stderr.push(line));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exited };
}

/** Waits until `ready()` holds, checking every 100 ms; after `withinMs`, fails with `failure()`. */
export async function until(ready: () => boolean, withinMs: number, failure: () => string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
