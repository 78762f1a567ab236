/**
 * Running mpi4py programs under Open MPI's mpirun for the differential tests: whether the tools
 * are there, a child process that never rejects, mpirun's environment and session directory, and
 * a limit on how many run at once.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

export const MPIRUN = '/usr/bin/mpirun';
export const PYTHON = '/usr/bin/python3';
export const MPIRUN_TIMEOUT_MS = 30_000;
/** mpiruns started at once: each spends most of its time starting Python, once per rank. */
export const CONCURRENT_MPIRUNS = Math.max(2, Math.min(4, availableParallelism()));

/** Why the suite cannot run here, or undefined when mpirun and mpi4py are there. */
export function missingTools(): string | undefined {
  if (!existsSync(MPIRUN)) return `${MPIRUN} not found (Debian package openmpi-bin)`;
  if (!existsSync(PYTHON)) return `${PYTHON} not found (Debian package python3)`;
  // Loads the MPI extension without MPI_Init.
  const probe = spawnSync(PYTHON, ['-c', 'import mpi4py; mpi4py.rc.initialize = False; from mpi4py import MPI'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? `exit code ${probe.status}`;
    return `mpi4py is not importable by ${PYTHON} (Debian package python3-mpi4py): ${why}`;
  }
  return undefined;
}

export interface ProcessResult {
  command: string;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
  error?: string;
}

/** Runs a command to completion; never rejects. */
export function run(file: string, args: string[], options: { timeoutMs: number; cwd: string; stdin?: string; env?: NodeJS.ProcessEnv }): Promise<ProcessResult> {
  const command = [file, ...args].join(' ');
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs, killSignal: 'SIGTERM', maxBuffer: 64 << 20, encoding: 'utf8', env: options.env, cwd: options.cwd },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: number | string; signal?: string | null; killed?: boolean }) | null;
        resolve({
          command,
          code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
          signal: failure?.signal ?? null,
          // killed is only set by our timeout (mpirun itself exits 1 on the SIGTERM)
          timedOut: Boolean(failure?.killed),
          stdout,
          stderr,
          ms: performance.now() - started,
          ...(failure && typeof failure.code !== 'number' ? { error: failure.message } : {}),
        });
      },
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

function mpiEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };
  // Unbuffered, print() writes the text and its newline separately and ranks' lines can
  // interleave mid-line; line-buffered (on mpirun's pty) each line is one write.
  delete env.PYTHONUNBUFFERED;
  return env;
}

/** `mpirun --oversubscribe -np size [mpirunFlags] python3 script` in `cwd`. */
export async function mpirun(script: string, size: number, options: { cwd: string; mpirunFlags?: string[] }): Promise<ProcessResult> {
  // Concurrent mpiruns sharing one session directory (/tmp/ompi.<host>.<uid>) race on
  // creating and removing it ("orte_session_dir failed"): each gets a TMPDIR of its own.
  const sessionDir = mkdtempSync(join(tmpdir(), 'lambda-mpi-mpirun-'));
  try {
    return await run(MPIRUN, ['--oversubscribe', '-np', String(size), ...(options.mpirunFlags ?? []), PYTHON, script], {
      timeoutMs: MPIRUN_TIMEOUT_MS,
      cwd: options.cwd,
      env: { ...mpiEnv(), TMPDIR: sessionDir },
    });
  } finally {
    rmSync(sessionDir, { recursive: true, force: true });
  }
}

/** Starts at most `limit` tasks at a time; each result is available as soon as it is done. */
export function limited<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T>[] {
  let active = 0;
  const waiting: (() => void)[] = [];
  return tasks.map(async (task) => {
    if (active >= limit) await new Promise<void>((wake) => waiting.push(wake));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  });
}

export function describeFailure(result: ProcessResult): string {
  const how = result.timedOut
    ? `killed after the ${MPIRUN_TIMEOUT_MS} ms timeout`
    : result.error ?? (result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`);
  return `${result.command} failed (${how})\n--- stderr ---\n${result.stderr}\n--- stdout ---\n${result.stdout}`;
}

export function lines(text: string): string[] {
  const all = text.split('\n').map((line) => line.replace(/\r$/, ''));
  if (all.at(-1) === '') all.pop();
  return all;
}
