import { runLocal } from '../src/index.ts';
import { benchCases, paramsOf, type BenchCase, type CaseTiming } from './cases.ts';
import { measureQuietly, startLoadMeter } from './machine-load.ts';
import { measureOnMpi4pyOnce } from './mpi4py-once.ts';
import { median } from './stats.ts';
import type { PiTiming, ThreadsBenchInput } from './threads-programs.ts';
import type { Row, Section, SectionContext, Target } from './types.ts';

/**
 * lambda-mpi with every rank in a worker thread of its own (runLocal's `threads`) against mpi4py
 * (one process per rank) on the cases of cases.ts; the speed-up of CPU-bound pi with the number
 * of ranks; and 64 ranks starting and finishing hello, with the process's peak memory.
 */
const PROGRAM = new URL('./threads-programs.ts', import.meta.url);

/** Goals for ranks in threads, by case id (the others are measured without one). */
const TARGETS: Record<string, Target> = {
  'pingpong-object.np2': { maxRatio: 3, label: '≤ 3x mpi4py' },
  'allreduce-buffer-8MiB.np4': { maxRatio: 1, label: '≤ 1x mpi4py' },
};

const PI_SAMPLES = 100_000_000;
const HELLO_RANKS = 64;

function figureOf(c: BenchCase, timing: CaseTiming): number {
  return c.figure(median(timing.secondsPerRep) / timing.iterations);
}

async function inThreads<T>(size: number, input: ThreadsBenchInput): Promise<T> {
  const run = await runLocal(PROGRAM, { size, input, threads: true, timeoutMs: 300_000 });
  if (run.result === undefined) throw new Error('rank 0 returned no timing');
  return run.result as T;
}

async function caseRows(context: SectionContext): Promise<Row[]> {
  const cases = benchCases(context.quick);
  const rows: Row[] = [];
  for (const c of cases) {
    context.log(`lambda-mpi in threads: ${c.id} (${c.reps} × ${c.iterations} after ${c.warmup} warm-up)`);
    const target = TARGETS[c.id];
    const row: Row = {
      id: `threads.${c.id}`,
      section: 'threads',
      metric: `${c.metric}, in threads`,
      unit: c.unit,
      better: c.better,
      lambdaMpi: null,
      mpi4py: null,
      ...(target ? { target } : {}),
      detail: { ranks: c.ranks, params: paramsOf(c) },
    };
    rows.push(row);
    try {
      const measured = await measureQuietly(`lambda-mpi in threads: ${c.id}`, () => inThreads<CaseTiming>(c.ranks, { kind: 'case', params: paramsOf(c) }), context.log);
      row.lambdaMpi = figureOf(c, measured.value);
      if (measured.othersBusy !== undefined) row.othersCpuBusy = { lambdaMpi: measured.othersBusy };
      row.detail!.lambdaMpi = { secondsPerRep: measured.value.secondsPerRep, attempts: measured.attempts };
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      context.log(`lambda-mpi in threads: ${c.id} failed: ${message}`);
      row.detail!.lambdaMpi = { error: message };
    }
  }
  if (context.mpi4py.available) {
    const reference = await measureOnMpi4pyOnce(cases, context.log);
    cases.forEach((c, i) => {
      const measured = reference.get(c.id);
      const row = rows[i]!;
      if (!measured?.ok) return;
      row.mpi4py = figureOf(c, measured.timing);
      if (measured.othersBusy !== undefined) row.othersCpuBusy = { ...row.othersCpuBusy, mpi4py: measured.othersBusy };
      row.detail!.mpi4py = { secondsPerRep: measured.timing.secondsPerRep, command: measured.run.command };
    });
  }
  return rows;
}

/** One run of pi's repetitions on `size` ranks, in threads or in this thread. */
async function piRun(size: number, threads: boolean, reps: number): Promise<number[]> {
  const input: ThreadsBenchInput = { kind: 'pi', samples: PI_SAMPLES, reps };
  if (threads) return (await inThreads<PiTiming>(size, input)).secondsPerRep;
  const { default: program } = await import('./threads-programs.ts');
  return ((await runLocal(program, { size, input, timeoutMs: 300_000 })).result as PiTiming).secondsPerRep;
}

/**
 * pi on 1, 2 and 4 ranks in threads and on 2 ranks in one thread, taken in turns (one
 * repetition of each, then the next round), so that other work on the machine weighs on every
 * variant alike and the speed-ups compare like with like.
 */
async function piRows(context: SectionContext): Promise<Row[]> {
  const rounds = context.quick ? 1 : 3;
  const variants: Array<{ size: number; threads: boolean; target?: Target; perRep: number[] }> = [
    { size: 1, threads: true, perRep: [] },
    { size: 2, threads: true, target: { maxRatio: 1 / 1.8, label: '≥ 1.8x faster than 1 rank' }, perRep: [] },
    { size: 4, threads: true, perRep: [] },
    { size: 2, threads: false, perRep: [] },
  ];
  const meter = startLoadMeter();
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      context.log(`pi on ${variant.size} rank(s) ${variant.threads ? 'in threads' : 'in this thread'}, round ${round + 1} of ${rounds}`);
      variant.perRep.push(...(await piRun(variant.size, variant.threads, 1)));
    }
  }
  const othersBusy = meter();
  const busy = othersBusy !== undefined ? { othersCpuBusy: { lambdaMpi: othersBusy } } : {};
  const [one, ...others] = variants;
  const oneSeconds = median(one!.perRep);
  const baseline = {
    name: 'pi on 1 rank',
    description: `the same ${PI_SAMPLES.toExponential()} samples of the bundled pi program on 1 rank in a worker thread, measured in turns with the other pi rows (ratio < 1: faster than 1 rank)`,
    value: oneSeconds,
  };
  return [
    {
      id: 'threads.pi.np1', section: 'threads', metric: `pi, ${PI_SAMPLES.toExponential()} samples, 1 rank in a thread`, unit: 's', better: 'lower',
      lambdaMpi: oneSeconds, mpi4py: null, detail: { perRep: one!.perRep }, ...busy,
    },
    ...others.map((variant): Row => {
      const seconds = median(variant.perRep);
      return {
        id: `${variant.threads ? 'threads' : 'memory'}.pi.np${variant.size}`,
        section: 'threads',
        metric: `pi, same samples, ${variant.size} ranks ${variant.threads ? 'in threads' : 'in one thread (no threads)'}`,
        unit: 's',
        better: 'lower',
        lambdaMpi: seconds,
        mpi4py: null,
        baseline,
        ...(variant.target ? { target: variant.target } : {}),
        detail: { perRep: variant.perRep, speedUp: oneSeconds / seconds },
        ...busy,
      };
    }),
  ];
}

async function helloRows(context: SectionContext): Promise<Row[]> {
  const reps = context.quick ? 1 : 3;
  const times: number[] = [];
  let peakRss = 0;
  context.log(`hello on ${HELLO_RANKS} ranks in threads (${reps} runs)`);
  const measured = await measureQuietly(`hello on ${HELLO_RANKS} ranks`, async () => {
    for (let rep = 0; rep < reps; rep++) {
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 5);
      const started = performance.now();
      const run = await runLocal('hello', { size: HELLO_RANKS, threads: true, timeoutMs: 120_000 });
      times.push((performance.now() - started) / 1e3);
      clearInterval(sampler);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      if (run.output.length !== HELLO_RANKS) throw new Error(`hello printed ${run.output.length} lines on ${HELLO_RANKS} ranks`);
    }
    return times;
  }, context.log);
  const budget = (value: number, what: string) => ({ name: 'budget', description: `the issue's bound for 64 ranks in threads: ${what}`, value });
  const busy = measured.othersBusy !== undefined ? { othersCpuBusy: { lambdaMpi: measured.othersBusy } } : {};
  return [
    {
      id: `threads.hello.np${HELLO_RANKS}.seconds`, section: 'threads', metric: `hello on ${HELLO_RANKS} ranks in threads, start to finish (median)`, unit: 's',
      better: 'lower', lambdaMpi: median(measured.value), mpi4py: null, baseline: budget(3, '3 s, 2 GiB of RSS'),
      target: { maxRatio: 1, label: '< 3 s' }, detail: { perRun: measured.value }, ...busy,
    },
    {
      id: `threads.hello.np${HELLO_RANKS}.rss`, section: 'threads', metric: `hello on ${HELLO_RANKS} ranks in threads, peak RSS of the process`, unit: 'MiB',
      better: 'lower', lambdaMpi: Math.round(peakRss / 2 ** 20), mpi4py: null, baseline: budget(2048, '3 s, 2 GiB of RSS'),
      target: { maxRatio: 1, label: '< 2 GiB' }, ...busy,
    },
  ];
}

export const threadsSection: Section = {
  name: 'threads',
  description: 'ranks in worker threads (runLocal threads: true) vs mpi4py; pi on 1, 2, 4 ranks; 64 ranks start to finish',
  async run(context) {
    return [...(await caseRows(context)), ...(await piRows(context)), ...(await helloRows(context))];
  },
};
