import { osuCases } from './osu-cases.ts';
import { median } from './stats.ts';
import type { Better, SectionContext, Target } from './types.ts';

/**
 * The point-to-point and collective cases measured on both lambda-mpi and mpi4py, with the
 * same parameters on both sides. Each case is timed the same way everywhere: `warmup`
 * iterations, then `reps` repetitions of `iterations` iterations each (after a barrier), timed
 * on rank 0; the figure comes from the median repetition.
 */
export type CaseKind = 'pingpong-object' | 'pingpong-nonblocking' | 'pingpong-buffer' | 'pingpong-bytes' | 'allreduce-buffer' | 'allreduce-into' | 'allreduce-into-shared' | 'allreduce-scalar' | 'alltoallv';

/** What a program (TypeScript or Python) needs to run one case: it travels as JSON. */
export interface CaseParams {
  id: string;
  kind: CaseKind;
  /** Float64 elements of the buffer, for the buffer cases (per pair of ranks for alltoallv); bytes for pingpong-bytes. */
  elements: number;
  warmup: number;
  reps: number;
  iterations: number;
}

export interface BenchCase extends CaseParams {
  ranks: number;
  metric: string;
  unit: string;
  better: Better;
  /** The figure from the median time of one iteration (a round trip, or one call), in seconds. */
  figure(secondsPerIteration: number): number;
  target?: Target;
}

/** What rank 0 of either implementation reports for one case. */
export interface CaseTiming {
  id: string;
  /** Wall time of each repetition, seconds. */
  secondsPerRep: number[];
  iterations: number;
}

const MIB = 1 << 20;
const BUFFER_ELEMENTS = (8 * MIB) / Float64Array.BYTES_PER_ELEMENT;
const BUFFER_BYTES = BUFFER_ELEMENTS * Float64Array.BYTES_PER_ELEMENT;

function scale(params: Omit<CaseParams, 'id' | 'kind' | 'elements'>, quick: boolean) {
  if (!quick) return params;
  return {
    warmup: Math.max(1, Math.ceil(params.warmup / 10)),
    reps: 3,
    iterations: Math.max(2, Math.ceil(params.iterations / 10)),
  };
}

export function benchCases(quick: boolean): BenchCase[] {
  const cases: BenchCase[] = [
    {
      id: 'pingpong-object.np2', kind: 'pingpong-object', ranks: 2, elements: 0,
      ...scale({ warmup: 10_000, reps: 9, iterations: 20_000 }, quick),
      metric: 'object ping-pong {a:1,b:"x"}, half round trip (2 ranks)', unit: 'µs', better: 'lower',
      figure: (roundTrip) => (roundTrip / 2) * 1e6,
      target: { maxRatio: 1, label: '≤ 1x mpi4py' },
    },
    {
      // The same object with isend/irecv and wait on both sides (mpi4py's lowercase isend/irecv).
      id: 'pingpong-nonblocking.np2', kind: 'pingpong-nonblocking', ranks: 2, elements: 0,
      ...scale({ warmup: 10_000, reps: 9, iterations: 20_000 }, quick),
      metric: 'object isend/irecv ping-pong {a:1,b:"x"}, half round trip (2 ranks)', unit: 'µs', better: 'lower',
      figure: (roundTrip) => (roundTrip / 2) * 1e6,
      target: { maxRatio: 1.5, label: '≤ 1.5x mpi4py' },
    },
    {
      id: 'pingpong-buffer-8MiB.np2', kind: 'pingpong-buffer', ranks: 2, elements: BUFFER_ELEMENTS,
      ...scale({ warmup: 30, reps: 9, iterations: 100 }, quick),
      metric: '8 MiB Float64Array ping-pong, bytes / half round trip (2 ranks)', unit: 'GB/s', better: 'higher',
      figure: (roundTrip) => BUFFER_BYTES / (roundTrip / 2) / 1e9,
    },
    ...osuCases((params) => scale(params, quick)),
  ];
  for (const ranks of [2, 4]) {
    cases.push({
      id: `allreduce-buffer-8MiB.np${ranks}`, kind: 'allreduce-buffer', ranks, elements: BUFFER_ELEMENTS,
      ...scale({ warmup: 10, reps: 9, iterations: 30 }, quick),
      metric: `allreduce(SUM) 8 MiB Float64Array, a new result each call (${ranks} ranks)`, unit: 'ms', better: 'lower',
      figure: (call) => call * 1e3,
    });
  }
  // The same into the caller's array (allreduce's `into`), which is what mpi4py's Allreduce
  // does with its recvbuf in both cases: no fresh memory to fault in on every call.
  cases.push({
    id: 'allreduce-into-8MiB.np4', kind: 'allreduce-into', ranks: 4, elements: BUFFER_ELEMENTS,
    ...scale({ warmup: 10, reps: 9, iterations: 30 }, quick),
    metric: 'allreduce(SUM) 8 MiB Float64Array into the caller\'s array (4 ranks)', unit: 'ms', better: 'lower',
    figure: (call) => call * 1e3,
    target: { maxRatio: 1, label: '≤ 1x mpi4py' },
  });
  // The same with the vector and the result on a SharedArrayBuffer: ranks in threads then read
  // each other's vectors where they lie, as Open MPI's processes do.
  cases.push({
    id: 'allreduce-into-shared-8MiB.np4', kind: 'allreduce-into-shared', ranks: 4, elements: BUFFER_ELEMENTS,
    ...scale({ warmup: 10, reps: 9, iterations: 30 }, quick),
    metric: 'allreduce(SUM) 8 MiB Float64Array in shared memory, into the caller\'s array (4 ranks)', unit: 'ms', better: 'lower',
    figure: (call) => call * 1e3,
  });
  for (const ranks of [2, 4]) {
    cases.push({
      id: `allreduce-scalar.np${ranks}`, kind: 'allreduce-scalar', ranks, elements: 0,
      ...scale({ warmup: 5_000, reps: 9, iterations: 10_000 }, quick),
      metric: `allreduce(SUM) of one number (${ranks} ranks)`, unit: 'µs', better: 'lower',
      figure: (call) => call * 1e6,
    });
  }
  // The shuffle: every rank sends 1 MiB to every rank (mpi4py's Alltoallv on numpy buffers).
  cases.push({
    id: 'alltoallv-1MiB.np8', kind: 'alltoallv', ranks: 8, elements: MIB / Float64Array.BYTES_PER_ELEMENT,
    ...scale({ warmup: 3, reps: 9, iterations: 8 }, quick),
    metric: 'alltoallv of 1 MiB Float64Array per pair of ranks (8 ranks)', unit: 'ms', better: 'lower',
    figure: (call) => call * 1e3,
    target: { maxRatio: 1.5, label: '≤ 1.5x mpi4py' },
  });
  return cases;
}

/** The cases a section measures: all of them, or those the run chose (--cases). */
export function chosenCases(context: Pick<SectionContext, 'quick' | 'cases'>): BenchCase[] {
  return benchCases(context.quick).filter((c) => !context.cases || context.cases.has(c.id));
}

export function paramsOf(c: BenchCase): CaseParams {
  return { id: c.id, kind: c.kind, elements: c.elements, warmup: c.warmup, reps: c.reps, iterations: c.iterations };
}

/** A case's figure (from the median repetition's time per iteration), and every repetition's for the JSON. */
export function readTiming(c: BenchCase, timing: CaseTiming) {
  return {
    figures: { value: c.figure(median(timing.secondsPerRep) / timing.iterations) },
    samples: { perRep: timing.secondsPerRep.map((seconds) => c.figure(seconds / timing.iterations)), secondsPerRep: timing.secondsPerRep },
  };
}
