import { runLocal } from '../src/index.ts';
import { chosenCases, paramsOf, readTiming, type BenchCase, type CaseTiming } from './cases.ts';
import { measureOnMpi4pyOnce } from './mpi4py-once.ts';
import { buildRow, measure, type Measurement, type Outcome, type RowSpec } from './rows.ts';
import { median } from './stats.ts';
import type { PiTiming, ThreadsBenchInput } from './threads-programs.ts';
import type { Section, SectionContext, Target } from './types.ts';

/**
 * lambda-mpi with every rank in a worker thread of its own (runLocal's `threads`) against mpi4py
 * (one process per rank) on the cases of cases.ts; the speed-up of CPU-bound pi with the number
 * of ranks; and 64 ranks starting and finishing hello, with the process's peak memory.
 */
const PROGRAM = new URL('./threads-programs.ts', import.meta.url);

/** Goals for ranks in threads, by case id, where they differ from the case's own (cases.ts). */
const TARGETS: Record<string, Target> = {
  'pingpong-nonblocking.np2': { maxRatio: 1.5, label: '≤ 1.5x mpi4py' },
  'alltoallv-1MiB.np8': { maxRatio: 1.5, label: '≤ 1.5x mpi4py' },
  // An ordinary array is copied once into shared memory before the others can read it.
  'allreduce-into-8MiB.np4': { maxRatio: 1.2, label: '≤ 1.2x mpi4py' },
  'allreduce-into-shared-8MiB.np4': { maxRatio: 1, label: '≤ 1x mpi4py' },
  'allreduce-buffer-8MiB.np4': { maxRatio: 1.5, label: '≤ 1.5x mpi4py' },
  'allreduce-scalar.np4': { maxRatio: 1.5, label: '≤ 1.5x mpi4py' },
};

const PI_SAMPLES = 100_000_000;
const HELLO_RANKS = 64;

async function inThreads<T>(size: number, input: ThreadsBenchInput): Promise<T> {
  const run = await runLocal(PROGRAM, { size, input, threads: true, timeoutMs: 300_000 });
  if (run.result === undefined) throw new Error('rank 0 returned no timing');
  return run.result as T;
}

function onThreads(c: BenchCase): Measurement<CaseTiming> {
  return {
    id: `threads ${c.id}`,
    label: `lambda-mpi in threads: ${c.id} (${c.reps} × ${c.iterations} after ${c.warmup} warm-up)`,
    run: () => inThreads<CaseTiming>(c.ranks, { kind: 'case', params: paramsOf(c) }),
    figures: (timing) => readTiming(c, timing).figures,
    samples: (timing) => readTiming(c, timing).samples,
  };
}

async function caseRows(context: SectionContext) {
  const cases = chosenCases(context);
  const outcomes = new Map<string, Outcome>();
  for (const c of cases) outcomes.set(`threads ${c.id}`, await measure(onThreads(c), context));
  if (context.mpi4py.available) {
    for (const [id, outcome] of await measureOnMpi4pyOnce(cases, context.log)) outcomes.set(`mpi4py ${id}`, outcome);
  }
  return cases.map((c) => buildRow('threads', {
    id: `threads.${c.id}`,
    metric: `${c.metric}, in threads`,
    unit: c.unit,
    better: c.better,
    lambdaMpi: [`threads ${c.id}`, 'value'],
    reference: { mpi4py: [`mpi4py ${c.id}`, 'value'] },
    ...(TARGETS[c.id] ?? c.target ? { target: TARGETS[c.id] ?? c.target } : {}),
    params: { ranks: c.ranks, warmup: c.warmup, reps: c.reps, iterations: c.iterations, elements: c.elements },
  }, outcomes));
}

/** One repetition of pi on `size` ranks, in threads or in this thread; seconds on rank 0. */
async function piOnce(size: number, threads: boolean): Promise<number> {
  const input: ThreadsBenchInput = { kind: 'pi', samples: PI_SAMPLES, reps: 1 };
  if (threads) return (await inThreads<PiTiming>(size, input)).secondsPerRep[0]!;
  const { default: program } = await import('./threads-programs.ts');
  return ((await runLocal(program, { size, input, timeoutMs: 300_000 })).result as PiTiming).secondsPerRep[0]!;
}

const PI_VARIANTS = [
  { id: 'threads.pi.np1', size: 1, threads: true },
  { id: 'threads.pi.np2', size: 2, threads: true, target: { maxRatio: 1 / 1.8, label: '≥ 1.8x faster than 1 rank' } },
  { id: 'threads.pi.np4', size: 4, threads: true },
  { id: 'memory.pi.np2', size: 2, threads: false },
] as const;

/**
 * pi on 1, 2 and 4 ranks in threads and on 2 ranks in one thread, taken in turns (one repetition
 * of each, then the next round), so that other work on the machine weighs on every variant
 * alike and the speed-ups compare like with like.
 */
function piInTurns(context: SectionContext): Measurement<Record<string, number[]>> {
  const rounds = context.quick ? 1 : 3;
  return {
    id: 'pi',
    label: `pi, ${PI_SAMPLES.toExponential()} samples, on 1, 2, 4 ranks in threads and 2 in one thread, ${rounds} rounds in turns`,
    run: async () => {
      const perVariant: Record<string, number[]> = Object.fromEntries(PI_VARIANTS.map((v) => [v.id, []]));
      for (let round = 0; round < rounds; round++) {
        for (const variant of PI_VARIANTS) perVariant[variant.id]!.push(await piOnce(variant.size, variant.threads));
      }
      return perVariant;
    },
    figures: (perVariant) => Object.fromEntries(Object.entries(perVariant).map(([id, seconds]) => [id, median(seconds)])),
    samples: (perVariant) => ({ secondsPerRun: perVariant }),
  };
}

async function piRows(context: SectionContext) {
  const outcomes = new Map([['pi', await measure(piInTurns(context), context)]]);
  const baseline = {
    name: 'pi on 1 rank',
    description: `the same ${PI_SAMPLES.toExponential()} samples of the bundled pi program on 1 rank in a worker thread, measured in turns with the other pi rows (ratio < 1: faster than 1 rank)`,
  };
  return PI_VARIANTS.map((variant): RowSpec => ({
    id: variant.id,
    metric: variant.size === 1
      ? `pi, ${PI_SAMPLES.toExponential()} samples, 1 rank in a thread`
      : `pi, same samples, ${variant.size} ranks ${variant.threads ? 'in threads' : 'in one thread (no threads)'}`,
    unit: 's',
    better: 'lower',
    lambdaMpi: ['pi', variant.id],
    reference: { baseline, figure: ['pi', 'threads.pi.np1'] },
    ...('target' in variant ? { target: variant.target } : {}),
  })).map((spec) => buildRow('threads', spec, outcomes));
}

/** 64 ranks in threads running hello, start to finish, and the process's peak RSS meanwhile. */
function hello(context: SectionContext): Measurement<{ seconds: number[]; peakRssMiB: number }> {
  const runs = context.quick ? 1 : 3;
  return {
    id: 'hello',
    label: `hello on ${HELLO_RANKS} ranks in threads (${runs} runs)`,
    run: async () => {
      const seconds: number[] = [];
      let peak = 0;
      for (let run = 0; run < runs; run++) {
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
        const started = performance.now();
        const result = await runLocal('hello', { size: HELLO_RANKS, threads: true, timeoutMs: 120_000 }).finally(() => clearInterval(sampler));
        seconds.push((performance.now() - started) / 1e3);
        peak = Math.max(peak, process.memoryUsage.rss());
        if (result.output.length !== HELLO_RANKS) throw new Error(`hello printed ${result.output.length} lines on ${HELLO_RANKS} ranks`);
      }
      return { seconds, peakRssMiB: Math.round(peak / 2 ** 20) };
    },
    figures: ({ seconds, peakRssMiB }) => ({ seconds: median(seconds), rss: peakRssMiB, secondsBudget: 3, rssBudget: 2048 }),
    samples: ({ seconds, peakRssMiB }) => ({ secondsPerRun: seconds, peakRssMiB }),
  };
}

async function helloRows(context: SectionContext) {
  const outcomes = new Map([['hello', await measure(hello(context), context)]]);
  const budget = { name: 'budget', description: `the issue's bounds for ${HELLO_RANKS} ranks in threads: 3 s, 2 GiB of RSS` };
  return [
    buildRow('threads', {
      id: `threads.hello.np${HELLO_RANKS}.seconds`, metric: `hello on ${HELLO_RANKS} ranks in threads, start to finish (median)`, unit: 's',
      better: 'lower', lambdaMpi: ['hello', 'seconds'], reference: { baseline: budget, figure: ['hello', 'secondsBudget'] },
      target: { maxRatio: 1, label: '< 3 s' },
    }, outcomes),
    buildRow('threads', {
      id: `threads.hello.np${HELLO_RANKS}.rss`, metric: `hello on ${HELLO_RANKS} ranks in threads, peak RSS of the process`, unit: 'MiB',
      better: 'lower', lambdaMpi: ['hello', 'rss'], reference: { baseline: budget, figure: ['hello', 'rssBudget'] },
      target: { maxRatio: 1, label: '< 2 GiB' },
    }, outcomes),
  ];
}

export const threadsSection: Section = {
  name: 'threads',
  description: 'ranks in worker threads (runLocal threads: true) vs mpi4py; pi on 1, 2, 4 ranks; 64 ranks start to finish',
  async run(context) {
    if (context.cases) return caseRows(context);
    return [...(await caseRows(context)), ...(await piRows(context)), ...(await helloRows(context))];
  },
};
