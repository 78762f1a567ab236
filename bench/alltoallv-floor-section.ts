import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FloorPlacement, FloorSpec } from './alltoallv-floor.ts';
import { chosenCases, paramsOf, readTiming, type BenchCase, type CaseTiming } from './cases.ts';
import { loaderArgs } from './memory-bench.ts';
import { measureOnMpi4pyOnce } from './mpi4py-once.ts';
import { buildRow, measure, type Measurement, type Outcome } from './rows.ts';
import type { Section } from './types.ts';

/**
 * How near lambda-mpi's alltoallv rows (memory.…, threads.…) can come to mpi4py on this machine:
 * the copies an alltoallv needs and nothing else, in plain JavaScript (alltoallv-floor.ts), beside
 * mpi4py's Alltoallv in the same run. A floor row above a row's target says the target cannot be
 * met there by any implementation that makes those copies; fresh against preallocated results
 * shows what the new result every call returns costs by itself.
 */
const FLOORS: ReadonlyArray<{ placement: FloorPlacement; fresh: boolean; name: string; what: string }> = [
  { placement: 'inline', fresh: true, name: 'inline-fresh', what: 'one thread, a fresh result per call' },
  { placement: 'inline', fresh: false, name: 'inline-preallocated', what: 'one thread, results allocated once' },
  { placement: 'threads', fresh: true, name: 'threads-fresh', what: 'a worker thread per rank, a fresh result per call' },
  { placement: 'threads', fresh: false, name: 'threads-preallocated', what: 'a worker thread per rank, results allocated once' },
];

/** Runs one floor in a process of its own, as each lambda-mpi case runs: nothing left from another. */
function inChildProcess(spec: FloorSpec): Promise<CaseTiming> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...loaderArgs(), fileURLToPath(new URL('./alltoallv-floor-case.ts', import.meta.url)), JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${spec.params.id} floor (${spec.placement}): the process exited with code ${code}`));
      else resolve(JSON.parse(out) as CaseTiming);
    });
  });
}

function onFloor(c: BenchCase, floor: (typeof FLOORS)[number]): Measurement<CaseTiming> {
  return {
    id: `floor ${floor.name} ${c.id}`,
    label: `plain-JS floor, ${floor.what}: ${c.id} (${c.reps} × ${c.iterations} after ${c.warmup} warm-up)`,
    run: () => inChildProcess({ ranks: c.ranks, params: paramsOf(c), placement: floor.placement, fresh: floor.fresh }),
    figures: (timing) => readTiming(c, timing).figures,
    samples: (timing) => readTiming(c, timing).samples,
  };
}

export const alltoallvFloorSection: Section = {
  name: 'alltoallv-floor',
  description: "the copies an alltoallv needs, in plain JavaScript, vs mpi4py's Alltoallv on this machine",
  async run(context) {
    const cases = chosenCases(context).filter((c) => c.kind === 'alltoallv');
    const outcomes = new Map<string, Outcome>();
    for (const c of cases) {
      for (const floor of FLOORS) outcomes.set(`floor ${floor.name} ${c.id}`, await measure(onFloor(c, floor), context));
    }
    if (context.mpi4py.available) {
      for (const [id, outcome] of await measureOnMpi4pyOnce(cases, context.log)) outcomes.set(`mpi4py ${id}`, outcome);
    }
    return cases.flatMap((c) => FLOORS.map((floor) => buildRow('alltoallv-floor', {
      id: `alltoallv-floor.${c.id}.${floor.name}`,
      metric: `${c.metric}: its copies alone in plain JavaScript, ${floor.what}`,
      unit: c.unit,
      better: c.better,
      lambdaMpi: [`floor ${floor.name} ${c.id}`, 'value'],
      reference: { mpi4py: [`mpi4py ${c.id}`, 'value'] },
      params: { ranks: c.ranks, warmup: c.warmup, reps: c.reps, iterations: c.iterations, elements: c.elements },
    }, outcomes)));
  },
};
