import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SUM, defineProgram, runLocal, type Comm } from '../src/index.ts';
import type { BenchCase, CaseParams, CaseTiming } from './cases.ts';
import { paramsOf } from './cases.ts';

/**
 * lambda-mpi's side of the cases in cases.ts, over the in-memory transport (runLocal). Timing
 * happens inside the program with performance.now(); rank 0 returns it.
 */

const SMALL_OBJECT = { a: 1, b: 'x' };

type Body = (iterations: number) => Promise<void>;

/** Element i of rank r's vector; the allreduce result is checked against its closed form. */
const element = (i: number, rank: number) => (i % 1024) + rank;

function bodyOf(comm: Comm, params: CaseParams): { body: Body; check(): void } {
  const peer = 1 - comm.rank;
  switch (params.kind) {
    case 'pingpong-object':
    case 'pingpong-buffer': {
      let message: unknown = params.kind === 'pingpong-object' ? SMALL_OBJECT : new Float64Array(params.elements).fill(1.5);
      const body: Body = comm.rank === 0
        ? async (n) => {
          for (let i = 0; i < n; i++) {
            await comm.send(message, peer);
            message = await comm.recv(peer);
          }
        }
        : async (n) => {
          for (let i = 0; i < n; i++) await comm.send(await comm.recv(peer), peer);
        };
      const check = () => {
        if (comm.rank !== 0) return;
        if (params.kind === 'pingpong-buffer') {
          const back = message as Float64Array;
          if (!(back instanceof Float64Array) || back.length !== params.elements || back[params.elements - 1] !== 1.5) {
            throw new Error('ping-pong: the buffer did not come back intact');
          }
        } else if ((message as typeof SMALL_OBJECT).b !== 'x') throw new Error('ping-pong: the object did not come back intact');
      };
      return { body, check };
    }
    case 'pingpong-bytes': {
      // osu_latency's loop: the same array sent and received into, on both ranks.
      const buffer = new Uint8Array(params.elements).fill(7);
      const body: Body = comm.rank === 0
        ? async (n) => {
          for (let i = 0; i < n; i++) {
            await comm.send(buffer, peer);
            await comm.recvInto(buffer, peer);
          }
        }
        : async (n) => {
          for (let i = 0; i < n; i++) {
            await comm.recvInto(buffer, peer);
            await comm.send(buffer, peer);
          }
        };
      const check = () => {
        if (buffer[params.elements - 1] !== 7) throw new Error('ping-pong: the bytes did not come back intact');
      };
      return { body, check };
    }
    case 'pingpong-nonblocking': {
      let message: unknown = SMALL_OBJECT;
      const body: Body = comm.rank === 0
        ? async (n) => {
          for (let i = 0; i < n; i++) {
            const received = comm.irecv(peer);
            await comm.isend(message, peer).wait();
            message = await received.wait();
          }
        }
        : async (n) => {
          for (let i = 0; i < n; i++) {
            const value = await comm.irecv(peer).wait();
            await comm.isend(value, peer).wait();
          }
        };
      const check = () => {
        if (comm.rank === 0 && (message as typeof SMALL_OBJECT).b !== 'x') throw new Error('isend/irecv ping-pong: the object did not come back intact');
      };
      return { body, check };
    }
    case 'allreduce-buffer':
    case 'allreduce-into':
    case 'allreduce-into-shared': {
      const shared = params.kind === 'allreduce-into-shared';
      const array = () => (shared ? new Float64Array(new SharedArrayBuffer(params.elements * Float64Array.BYTES_PER_ELEMENT)) : new Float64Array(params.elements));
      const vector = array();
      for (let i = 0; i < vector.length; i++) vector[i] = element(i, comm.rank);
      const into = params.kind === 'allreduce-buffer' ? undefined : array();
      let result = vector;
      const body: Body = async (n) => {
        for (let i = 0; i < n; i++) result = await comm.allreduce(vector, SUM, into);
      };
      const check = () => {
        const offset = (comm.size * (comm.size - 1)) / 2;
        for (let i = 0; i < result.length; i += 4099) {
          if (result[i] !== comm.size * (i % 1024) + offset) throw new Error(`allreduce: element ${i} is ${result[i]}`);
        }
      };
      return { body, check };
    }
    case 'alltoallv': {
      // Block j of rank r holds r·size + j everywhere, so each received block shows its sender.
      const perPair = params.elements;
      const sendbuf = new Float64Array(perPair * comm.size);
      for (let dest = 0; dest < comm.size; dest++) sendbuf.fill(comm.rank * comm.size + dest, dest * perPair, (dest + 1) * perPair);
      const counts = new Array<number>(comm.size).fill(perPair);
      let result: Float64Array | undefined;
      const body: Body = async (n) => {
        for (let i = 0; i < n; i++) result = (await comm.alltoallv(sendbuf, counts)).data;
      };
      const check = () => {
        for (let source = 0; source < comm.size; source++) {
          const value = result![source * perPair + perPair - 1];
          if (value !== source * comm.size + comm.rank) throw new Error(`alltoallv: the block from rank ${source} ends in ${value}`);
        }
      };
      return { body, check };
    }
    case 'allreduce-scalar': {
      let result = 0;
      const body: Body = async (n) => {
        for (let i = 0; i < n; i++) result = await comm.allreduce(comm.rank + 1, SUM);
      };
      const check = () => {
        if (result !== (comm.size * (comm.size + 1)) / 2) throw new Error(`allreduce: got ${result}`);
      };
      return { body, check };
    }
  }
}

export const benchProgram = defineProgram(async (comm, params: CaseParams): Promise<CaseTiming | undefined> => {
  const { body, check } = bodyOf(comm, params);
  await body(params.warmup);
  const secondsPerRep: number[] = [];
  for (let rep = 0; rep < params.reps; rep++) {
    await comm.barrier();
    const started = performance.now();
    await body(params.iterations);
    secondsPerRep.push((performance.now() - started) / 1e3);
  }
  check();
  return comm.rank === 0 ? { id: params.id, secondsPerRep, iterations: params.iterations } : undefined;
});

export interface MemoryMeasurement {
  timing: CaseTiming;
  /** Resident set size after the case, MiB (all ranks share one process). */
  rssMiB: number;
}

/**
 * Runs one case in a process of its own, as mpi4py's side runs each script: what an earlier case
 * left in this process (its heap, where its arrays lay) must not be charged to the next one, and
 * the RSS is the case's own.
 */
export function measureOnMemory(c: BenchCase): Promise<MemoryMeasurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...loaderArgs(), fileURLToPath(new URL('./memory-case.ts', import.meta.url)), JSON.stringify({ ranks: c.ranks, params: paramsOf(c) })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${c.id}: the case's process exited with code ${code}`));
      else resolve(JSON.parse(out) as MemoryMeasurement);
    });
  });
}

/** This process's module loader flags (tsx's), without an --eval: the child loads .ts as this one does. */
export function loaderArgs(): string[] {
  const args: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!;
    if (arg === '--require' || arg === '--import') args.push(arg, process.execArgv[++i]!);
    else if (arg.startsWith('--require=') || arg.startsWith('--import=')) args.push(arg);
  }
  return args;
}

/** Runs one case in this process; the entry of memory-case.ts. */
export async function measureHere(ranks: number, params: CaseParams): Promise<MemoryMeasurement> {
  const run = await runLocal(benchProgram, { size: ranks, input: params, timeoutMs: 60_000 });
  const timing = run.result;
  if (!timing) throw new Error(`${params.id}: rank 0 returned no timing`);
  return { timing, rssMiB: process.memoryUsage().rss / 2 ** 20 };
}
