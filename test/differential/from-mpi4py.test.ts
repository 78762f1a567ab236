/**
 * The ported programs of examples/from-mpi4py against their mpi4py twins: each `x.py` runs under
 * `mpirun --oversubscribe --tag-output -np N /usr/bin/python3 x.py`, its lambda-mpi version
 * under runLocal (every one inline, one also in threads), and each rank must print the same
 * lines in the same order. stderr (timings) is not compared.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal, type OutputLine } from '../../src/index.ts';
import { CONCURRENT_MPIRUNS, describeFailure, limited, lines, missingTools, mpirun, type ProcessResult } from './mpirun.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/from-mpi4py/', import.meta.url));
const TEST_TIMEOUT_MS = 90_000;

interface Pair {
  /** Both files' stem: `<ts>.ts` and `<py>.py` in examples/from-mpi4py. */
  ts: string;
  py: string;
  size: number;
  /** Also run with every rank in a worker thread. */
  threads?: boolean;
}

const PAIRS: Pair[] = [
  { ts: 'tutorial-p2p', py: 'tutorial_p2p', size: 2 },
  { ts: 'tutorial-nonblocking', py: 'tutorial_nonblocking', size: 2 },
  { ts: 'tutorial-collectives', py: 'tutorial_collectives', size: 4 },
  { ts: 'ring', py: 'ring', size: 4, threads: true },
  { ts: 'cpi', py: 'cpi', size: 4 },
  { ts: 'osu-latency', py: 'osu_latency', size: 2 },
  { ts: 'osu-bw', py: 'osu_bw', size: 2 },
  { ts: 'mandelbrot', py: 'mandelbrot', size: 4 },
  { ts: 'heat2d', py: 'heat2d', size: 4 },
  { ts: 'samplesort', py: 'samplesort', size: 4 },
];

const missing = missingTools();
if (missing) console.warn(`Skipping the from-mpi4py differential tests: ${missing}`);

/** `[1,3]<stdout>:text` (mpirun --tag-output) → rank 3's lines, in order. */
function mpirunLinesByRank(stdout: string): string[][] {
  const byRank: string[][] = [];
  for (const line of lines(stdout)) {
    const tagged = /^\[\d+,(\d+)\]<stdout>:(.*)$/.exec(line);
    if (!tagged) throw new Error(`an untagged line in mpirun's output: ${JSON.stringify(line)}`);
    (byRank[Number(tagged[1])] ??= []).push(tagged[2]!);
  }
  return byRank;
}

function ourLinesByRank(output: readonly OutputLine[], size: number): string[][] {
  const byRank: string[][] = [];
  for (const line of output) if (line.stream === 'stdout') (byRank[line.rank] ??= []).push(line.line);
  return Array.from({ length: size }, (_, rank) => byRank[rank] ?? []);
}

describe.skipIf(missing !== undefined)('examples/from-mpi4py print what their mpi4py twins print', () => {
  const mpiruns = new Map<string, Promise<ProcessResult>>();

  beforeAll(() => {
    const results = limited(CONCURRENT_MPIRUNS, PAIRS.map((pair) => () => mpirun(`${pair.py}.py`, pair.size, { cwd: EXAMPLES, mpirunFlags: ['--tag-output'] })));
    PAIRS.forEach((pair, i) => mpiruns.set(pair.py, results[i]!));
  });

  for (const pair of PAIRS) {
    for (const threads of pair.threads ? [false, true] : [false]) {
      it(`${pair.ts}.ts ${threads ? 'in threads' : 'inline'} and ${pair.py}.py under mpirun, N=${pair.size}`, async () => {
        const [python, ours] = await Promise.all([
          mpiruns.get(pair.py)!,
          runLocal(`${EXAMPLES}${pair.ts}.ts`, { size: pair.size, threads, timeoutMs: 60_000 }),
        ]);
        if (python.code !== 0 || python.timedOut) expect.fail(describeFailure(python));
        const expected = mpirunLinesByRank(python.stdout);
        expect(expected.flat().length, `${python.command} printed nothing; stderr:\n${python.stderr}`).toBeGreaterThan(0);
        const ourStderr = ours.output.filter((line) => line.stream === 'stderr').map((line) => `[rank ${line.rank}] ${line.line}`);
        expect(
          ourLinesByRank(ours.output, pair.size),
          `${pair.ts}.ts (each rank's lines) vs ${python.command}` + (ourStderr.length ? `\nTypeScript stderr:\n${ourStderr.join('\n')}` : ''),
        ).toEqual(Array.from({ length: pair.size }, (_, rank) => expected[rank] ?? []));
      }, TEST_TIMEOUT_MS);
    }
  }
});
