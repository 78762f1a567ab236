import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { paramsOf, readTiming, type BenchCase, type CaseTiming } from './cases.ts';
import { measureQuietly } from './machine-load.ts';
import type { Outcome } from './rows.ts';
import type { Mpi4pyAvailability } from './types.ts';

/**
 * The reference column: the same cases under mpi4py + Open MPI on this machine, via
 * bench/mpi4py/*.py under mpirun. Debian's python3-mpi4py is built for /usr/bin/python3 (not
 * whatever python3 is first on PATH), so that is the default; MPI_BENCH_PYTHON and
 * MPI_BENCH_MPIRUN override.
 */
const PYTHON = process.env.MPI_BENCH_PYTHON ?? '/usr/bin/python3';
const MPIRUN = process.env.MPI_BENCH_MPIRUN ?? '/usr/bin/mpirun';
const SCRIPTS = fileURLToPath(new URL('./mpi4py/', import.meta.url));
const RESULT_MARKER = 'LAMBDA_MPI_BENCH_RESULT ';
const RUN_TIMEOUT_MS = 90_000;

const SCRIPT_OF: Record<BenchCase['kind'], string> = {
  'pingpong-object': 'pingpong.py',
  'pingpong-nonblocking': 'pingpong.py',
  'pingpong-buffer': 'pingpong.py',
  'pingpong-bytes': 'pingpong.py',
  'allreduce-buffer': 'allreduce.py',
  'allreduce-into': 'allreduce.py',
  'allreduce-into-shared': 'allreduce.py',
  'allreduce-scalar': 'allreduce.py',
  alltoallv: 'alltoallv.py',
};

function mpiEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // Open MPI refuses to run as root unless told twice.
  if (process.getuid?.() === 0) {
    env.OMPI_ALLOW_RUN_AS_ROOT = '1';
    env.OMPI_ALLOW_RUN_AS_ROOT_CONFIRM = '1';
  }
  return env;
}

export function detectMpi4py(): Mpi4pyAvailability {
  if (!existsSync(MPIRUN)) return { available: false, reason: `${MPIRUN} not found (install openmpi-bin)` };
  if (!existsSync(PYTHON)) return { available: false, reason: `${PYTHON} not found` };
  const probe = spawnSync(
    PYTHON,
    ['-c', 'import mpi4py\ntry:\n import numpy; b="numpy "+numpy.__version__\nexcept ImportError:\n b="array.array (numpy absent)"\nprint(mpi4py.__version__, b, sep="|")'],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (probe.status !== 0) {
    return { available: false, reason: `mpi4py not importable by ${PYTHON} (install python3-mpi4py): ${probe.stderr.trim().split('\n').pop() ?? ''}` };
  }
  const [mpi4pyVersion = '?', buffers = '?'] = probe.stdout.trim().split('|');
  return { available: true, python: PYTHON, mpirun: MPIRUN, mpi4pyVersion, buffers };
}

export interface Mpi4pyRun {
  timings: CaseTiming[];
  mpi4py: string;
  mpi: string;
  buffers: string;
  /** The command line, for the JSON record. */
  command: string;
}

/** Runs `cases` (one script, one rank count) in a single mpirun launch. */
export function runMpi4py(script: string, ranks: number, cases: BenchCase[]): Promise<Mpi4pyRun> {
  const args = ['--oversubscribe', '-np', String(ranks), PYTHON, `${SCRIPTS}${script}`, JSON.stringify(cases.map(paramsOf))];
  const command = `${MPIRUN} ${args.slice(0, -1).join(' ')} '<cases>'`;
  return new Promise((resolve, reject) => {
    const child = spawn(MPIRUN, args, { env: mpiEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code !== 0 || !line) {
        const why = signal ? `killed by ${signal}` : `exit code ${code}`;
        reject(new Error(`${command} failed (${why}): ${(stderr || stdout).trim().slice(-2000)}`));
        return;
      }
      const parsed = JSON.parse(line.slice(RESULT_MARKER.length)) as Omit<Mpi4pyRun, 'command'>;
      resolve({ ...parsed, command });
    });
  });
}

/**
 * Every case on mpi4py, grouped into as few mpirun launches as possible (script × ranks), by case
 * id. A launch that fails costs only its own cases' reference figures.
 */
export async function measureOnMpi4py(cases: BenchCase[], log: (line: string) => void): Promise<Map<string, Outcome>> {
  const groups = new Map<string, BenchCase[]>();
  for (const c of cases) {
    const key = `${SCRIPT_OF[c.kind]}|${c.ranks}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const out = new Map<string, Outcome>();
  for (const [key, group] of groups) {
    const [script, ranks] = key.split('|') as [string, string];
    log(`mpi4py: ${script} on ${ranks} ranks (${group.map((c) => c.id).join(', ')})`);
    try {
      const measured = await measureQuietly(`mpi4py: ${script} on ${ranks} ranks`, () => runMpi4py(script, Number(ranks), group), log);
      const { timings, command, mpi: library, buffers } = measured.value;
      for (const timing of timings) {
        const { figures, samples } = readTiming(group.find((c) => c.id === timing.id)!, timing);
        out.set(timing.id, { ok: true, figures, samples: { ...samples, command, library, buffers }, othersBusy: measured.othersBusy, attempts: measured.attempts });
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`mpi4py: ${script} on ${ranks} ranks failed: ${message}`);
      for (const c of group) out.set(c.id, { ok: false, error: message });
    }
  }
  return out;
}
