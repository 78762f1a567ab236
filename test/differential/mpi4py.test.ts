/**
 * Differential test against mpi4py: each program of test/mpi4py/*.py runs under
 * `mpirun --oversubscribe -np N /usr/bin/python3 prog.py` (Debian's openmpi-bin, python3-mpi4py
 * and python3-numpy), its TypeScript counterpart under runLocal with the same N, and the two
 * must print the same lines: compared as sorted multisets, since ranks interleave, with the
 * host name after "on processor " replaced by a placeholder.
 *
 * A second check prints a few hundred float64/float32/int32 arrays with numpy's str() and with
 * formatNumpy, which the TypeScript programs use to print what mpi4py prints as numpy arrays.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal, type Program } from '../../src/index.ts';
import { formatNumpy } from '../../src/programs/numpy-format.ts';
import {
  CONCURRENT_MPIRUNS, MPIRUN_TIMEOUT_MS, PYTHON, describeFailure, limited, lines, missingTools, mpirun, run, type ProcessResult,
} from './mpirun.ts';
import * as counterparts from './programs.ts';

const PROGRAM_DIR = fileURLToPath(new URL('../mpi4py/', import.meta.url));
const TEST_TIMEOUT_MS = 90_000;

interface Pair {
  /** File in test/mpi4py. */
  py: string;
  size: number;
  /** A bundled program's name, or a counterpart from ./programs.ts. */
  ts: string | Program;
}

const PAIRS: Pair[] = [
  { py: 'hello.py', size: 3, ts: 'hello' },
  { py: 'sendrecv.py', size: 2, ts: 'sendrecv' },
  { py: 'reduce.py', size: 3, ts: 'reduce' },
  { py: 'allreduce.py', size: 4, ts: counterparts.allreduce },
  { py: 'scan.py', size: 4, ts: counterparts.scan },
  { py: 'alltoall.py', size: 3, ts: counterparts.alltoall },
  { py: 'maxloc.py', size: 4, ts: counterparts.maxloc },
  { py: 'collectives.py', size: 4, ts: counterparts.collectives },
  { py: 'split.py', size: 5, ts: counterparts.split },
  { py: 'p2p.py', size: 4, ts: counterparts.p2p },
  { py: 'nonblocking.py', size: 4, ts: counterparts.nonblocking },
  { py: 'nonblocking_collectives.py', size: 4, ts: counterparts.nonblockingCollectives },
  { py: 'compute_dims.py', size: 1, ts: counterparts.computeDimsCases },
  { py: 'vcollectives.py', size: 4, ts: counterparts.vcollectives },
  { py: 'topology.py', size: 7, ts: counterparts.topology },
];

const missing = missingTools();
/** CI installs mpirun and mpi4py (.ci/run): there a missing tool fails the run instead of skipping the comparison. */
const required = ['true', '1'].includes(process.env.CI ?? '');
if (missing && !required) console.warn(`Skipping the mpi4py differential tests (with CI=true they would fail): ${missing}`);

describe('mpi4py differential prerequisites', () => {
  it.runIf(required)('in CI, mpirun and mpi4py are installed, so the comparison runs', () => {
    expect(missing, 'install them as .ci/run does').toBeUndefined();
  });
});

const normalise = (line: string) => line.replace(/( on processor ).*$/, '$1<processor>');
const multiset = (all: string[]) => all.map(normalise).sort();

describe.skipIf(missing !== undefined)(`mpi4py differential${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let mpiruns: Map<string, Promise<ProcessResult>>;

  beforeAll(() => {
    const results = limited(
      CONCURRENT_MPIRUNS,
      PAIRS.map((pair) => () => mpirun(pair.py, pair.size, { cwd: PROGRAM_DIR })),
    );
    mpiruns = new Map(PAIRS.map((pair, i) => [pair.py, results[i]!]));
  });

  for (const pair of PAIRS) {
    const name = typeof pair.ts === 'string' ? pair.ts : pair.py.replace(/\.py$/, '');
    it(`${pair.py} and ${typeof pair.ts === 'string' ? `the bundled '${pair.ts}'` : name} print the same lines (N=${pair.size})`, async () => {
      const [python, ours] = await Promise.all([
        mpiruns.get(pair.py)!,
        runLocal(pair.ts, { size: pair.size, timeoutMs: 20_000 }),
      ]);
      if (python.code !== 0 || python.timedOut) {
        console.error(describeFailure(python));
        expect.fail(describeFailure(python));
      }
      const expected = multiset(lines(python.stdout));
      const actual = multiset(ours.output.filter((line) => line.stream === 'stdout').map((line) => line.line));
      const ourStderr = ours.output.filter((line) => line.stream === 'stderr').map((line) => `[rank ${line.rank}] ${line.line}`);
      expect(expected.length, `${python.command} printed nothing; stderr:\n${python.stderr}`).toBeGreaterThan(0);
      expect(
        actual,
        `${name} (N=${pair.size}) vs ${python.command} (${python.ms.toFixed(0)} ms)` +
          (ourStderr.length ? `\nTypeScript stderr:\n${ourStderr.join('\n')}` : '') +
          (python.stderr ? `\nmpirun stderr:\n${python.stderr}` : ''),
      ).toEqual(expected);
    }, TEST_TIMEOUT_MS);
  }

  it('formatNumpy prints float64, float32 and int32 arrays as numpy str() does', async () => {
    const cases = numpyCases();
    const script = [
      'import json, sys',
      'import numpy as np',
      'out = []',
      'for case in json.load(sys.stdin):',
      "    parse = int if case['dtype'] == 'int32' else float",
      "    out.append(str(np.array([parse(v) for v in case['values']], dtype=case['dtype'])))",
      'print(json.dumps(out))',
    ].join('\n');
    const python = await run(PYTHON, ['-c', script], { timeoutMs: MPIRUN_TIMEOUT_MS, cwd: PROGRAM_DIR, stdin: JSON.stringify(cases) });
    if (python.code !== 0) expect.fail(describeFailure(python));
    const expected = JSON.parse(python.stdout) as string[];
    const mismatches = cases
      .map((c, i) => ({ dtype: c.dtype, values: c.values.join(', '), numpy: expected[i], formatNumpy: formatNumpy(typedArray(c)) }))
      .filter((c) => c.numpy !== c.formatNumpy);
    expect(mismatches.slice(0, 10), `${mismatches.length} of ${cases.length} arrays print differently`).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

// ---- arrays for the formatNumpy check ----

type Dtype = 'float64' | 'float32' | 'int32';

interface NumpyCase {
  dtype: Dtype;
  /** Each value as text Python's float()/int() reads exactly. */
  values: string[];
}

function pyNumberText(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return Object.is(value, -0) ? '-0.0' : String(value);
}

function typedArray(c: NumpyCase): Float64Array | Float32Array | Int32Array {
  const values = c.values.map((text) => (text === 'nan' ? NaN : text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text)));
  return c.dtype === 'float64' ? Float64Array.from(values) : c.dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values);
}

function numpyCases(): NumpyCase[] {
  const fixed: number[][] = [
    [3], [1.5, 2], [0, 1, 2], [-1.5, 10.25, 3], [1e20, 1], [0.1, 0.2], [1e-5, 1], [100, 2.5], [-0], [-0, 0],
    [0.1 + 0.2, 1], [1 / 3, 2], [0.001953125, 1], [123456789.5], [1e16], [99999999.9], [1e8], [9.999999999e-5, 1],
    [NaN, 1.5, -Infinity], [NaN, Infinity], [NaN, -Infinity], [-Infinity], [NaN, 1e20], [1e100, 1e-5],
    [5e-324, 1], [1.7976931348623157e308, 1], [], [0, 0], [1e-4, 0.1], [12345.678901234],
    new Array(40).fill(1), Array.from({ length: 30 }, (_, i) => i * 1.5), Array.from({ length: 1100 }, (_, i) => i * 0.001),
  ];
  const cases: NumpyCase[] = fixed.map((values) => ({ dtype: 'float64', values: values.map(pyNumberText) }));
  cases.push({ dtype: 'int32', values: ['1', '22', '-3'] });
  cases.push({ dtype: 'int32', values: Array.from({ length: 2000 }, (_, i) => String(i - 1000)) });
  for (const values of [[0.1, 0.2], [1 / 3], [16777217], [41044192], [0.0166015625, 8491.931640625], [8.192000389099121, 1e-6]]) {
    cases.push({ dtype: 'float32', values: values.map(pyNumberText) });
  }
  // Seeded, so a failure reproduces.
  let state = 0x2545f491;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const bits = new DataView(new ArrayBuffer(8));
  const value = (): number => {
    const kind = random();
    if (kind < 0.2) return (random() - 0.5) * 20;
    if (kind < 0.35) return Math.round((random() - 0.5) * 2000 * 10 ** 3) / 10 ** pick([0, 1, 2, 3]);
    if (kind < 0.45) {
      bits.setUint32(0, Math.floor(random() * 2 ** 32));
      bits.setUint32(4, Math.floor(random() * 2 ** 32));
      return bits.getFloat64(0);
    }
    if (kind < 0.55) return Math.round((random() - 0.5) * 200) / pick([1, 2, 4, 8, 16, 512, 1024]);
    if (kind < 0.65) return 10 ** Math.floor(random() * 25 - 12) * pick([1, -1, 1.5, 2.5]);
    if (kind < 0.7) return pick([NaN, Infinity, -Infinity, 0, -0]);
    return random() * 10 ** Math.floor(random() * 16 - 6);
  };
  for (let i = 0; i < 400; i++) {
    const dtype: Dtype = i % 4 === 3 ? 'float32' : 'float64';
    const values = Array.from({ length: pick([1, 1, 2, 3, 5, 8, 20]) }, value);
    cases.push({ dtype, values: (dtype === 'float32' ? Array.from(Float32Array.from(values)) : values).map(pyNumberText) });
  }
  return cases;
}
