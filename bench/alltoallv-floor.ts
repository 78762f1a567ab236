import { Worker } from 'node:worker_threads';
import type { CaseParams, CaseTiming } from './cases.ts';

/**
 * The least an alltoallv case can cost in JavaScript on this machine: exactly the copies it
 * needs, and nothing else (no messages, no counts, no checks). Every rank fills its result, one
 * block of `elements` Float64 per rank, from send buffers of the same size; timed as every case is
 * (cases.ts: warm-up, then repetitions of iterations, the median repetition).
 *
 * - `inline`: all ranks' copies on one thread, as ranks that share a thread must do them.
 * - `threads`: one worker thread per rank, each filling its own result from a send buffer of its
 *   own (the same bytes moved, from memory no other thread writes), with a barrier after every
 *   call: the cores work at once, as mpi4py's processes do.
 *
 * `fresh`: a new result every call, as alltoallv returns (Buffer.allocUnsafeSlow, not zeroed, as
 * lambda-mpi allocates it). Otherwise the results are allocated once: what the copies alone cost.
 */
export type FloorPlacement = 'inline' | 'threads';

export interface FloorSpec {
  ranks: number;
  params: CaseParams;
  placement: FloorPlacement;
  fresh: boolean;
}

export function measureFloor(spec: FloorSpec): Promise<CaseTiming> {
  return spec.placement === 'inline' ? Promise.resolve(inlineFloor(spec)) : threadsFloor(spec);
}

function inlineFloor({ ranks, params, fresh }: FloorSpec): CaseTiming {
  const block = params.elements;
  const sendbufs = Array.from({ length: ranks }, (_, rank) => new Float64Array(block * ranks).fill(rank));
  const kept = Array.from({ length: ranks }, () => new Float64Array(block * ranks));
  const results = kept.slice();
  const call = () => {
    for (let rank = 0; rank < ranks; rank++) {
      const result = fresh ? new Float64Array(Buffer.allocUnsafeSlow(block * ranks * 8).buffer, 0, block * ranks) : kept[rank]!;
      for (let source = 0; source < ranks; source++) result.set(sendbufs[source]!.subarray(rank * block, (rank + 1) * block), source * block);
      results[rank] = result;
    }
  };
  for (let i = 0; i < params.warmup; i++) call();
  const secondsPerRep: number[] = [];
  for (let rep = 0; rep < params.reps; rep++) {
    const started = performance.now();
    for (let i = 0; i < params.iterations; i++) call();
    secondsPerRep.push((performance.now() - started) / 1e3);
  }
  // A floor that skipped its copies would flatter every row beside it.
  results.forEach((result, rank) => {
    for (let source = 0; source < ranks; source++) {
      if (result[(source + 1) * block - 1] !== source) throw new Error(`floor: rank ${rank}'s block from rank ${source} was not copied`);
    }
  });
  return { id: params.id, secondsPerRep, iterations: params.iterations };
}

interface FloorRankData {
  rank: number;
  ranks: number;
  block: number;
  fresh: boolean;
  warmup: number;
  reps: number;
  iterations: number;
  /** [arrivals at the barrier so far] */
  barrier: SharedArrayBuffer;
}

/**
 * One rank of the threads floor, run as the source of an eval worker: self-contained (it is
 * turned into text), CommonJS (`require`), plain JavaScript once tsx has stripped the types.
 */
function floorRank(data: FloorRankData, post: (secondsPerRep: number[]) => void): void {
  const { rank, ranks, block, fresh } = data;
  const arrivals = new Int32Array(data.barrier);
  let calls = 0;
  const barrier = () => {
    calls++;
    if (Atomics.add(arrivals, 0, 1) + 1 === ranks * calls) {
      Atomics.notify(arrivals, 0);
      return;
    }
    for (let seen = Atomics.load(arrivals, 0); seen < ranks * calls; seen = Atomics.load(arrivals, 0)) Atomics.wait(arrivals, 0, seen);
  };
  const sendbuf = new Float64Array(block * ranks).fill(rank + 1);
  let result = new Float64Array(block * ranks);
  const kept = result;
  const call = () => {
    result = fresh ? new Float64Array(Buffer.allocUnsafeSlow(block * ranks * 8).buffer, 0, block * ranks) : kept;
    for (let source = 0; source < ranks; source++) result.set(sendbuf.subarray(source * block, (source + 1) * block), source * block);
    barrier();
  };
  for (let i = 0; i < data.warmup; i++) call();
  const secondsPerRep: number[] = [];
  for (let rep = 0; rep < data.reps; rep++) {
    barrier();
    const started = performance.now();
    for (let i = 0; i < data.iterations; i++) call();
    secondsPerRep.push((performance.now() - started) / 1e3);
  }
  for (let source = 0; source < ranks; source++) {
    if (result[(source + 1) * block - 1] !== rank + 1) throw new Error(`floor: rank ${rank}'s block ${source} was not copied`);
  }
  post(secondsPerRep);
}

async function threadsFloor({ ranks, params, fresh }: FloorSpec): Promise<CaseTiming> {
  const barrier = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  // tsx keeps function names through a helper, __name, that the worker's text must bring along.
  const source = `const { workerData, parentPort } = require('node:worker_threads');
const __name = (target) => target;
(${floorRank.toString()})(workerData, (secondsPerRep) => parentPort.postMessage(secondsPerRep));`;
  const workers = Array.from({ length: ranks }, (_, rank) => {
    const workerData: FloorRankData = { rank, ranks, block: params.elements, fresh, warmup: params.warmup, reps: params.reps, iterations: params.iterations, barrier };
    return new Worker(source, { eval: true, workerData });
  });
  try {
    const timings = await Promise.all(workers.map((worker) => new Promise<number[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    })));
    return { id: params.id, secondsPerRep: timings[0]!, iterations: params.iterations };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
