import { chosenCases, readTiming, type BenchCase } from './cases.ts';
import { measureOnMemory } from './memory-bench.ts';
import { measureOnMpi4pyOnce } from './mpi4py-once.ts';
import { buildRow, measure, type Measurement, type Outcome, type RowSpec } from './rows.ts';
import type { Section } from './types.ts';

/**
 * lambda-mpi over its in-memory transport (all ranks in this process) against mpi4py over
 * Open MPI's shared memory (one process per rank): one row per case of cases.ts.
 */
function onLambdaMpi(c: BenchCase): Measurement<Awaited<ReturnType<typeof measureOnMemory>>> {
  return {
    id: `lambda-mpi ${c.id}`,
    label: `lambda-mpi: ${c.id} (${c.reps} × ${c.iterations} after ${c.warmup} warm-up)`,
    run: () => measureOnMemory(c),
    figures: ({ timing }) => readTiming(c, timing).figures,
    samples: ({ timing, rssMiB }) => ({ ...readTiming(c, timing).samples, rssMiBAfter: Math.round(rssMiB) }),
  };
}

function rowOf(c: BenchCase): RowSpec {
  return {
    id: `memory.${c.id}`,
    metric: c.metric,
    unit: c.unit,
    better: c.better,
    lambdaMpi: [`lambda-mpi ${c.id}`, 'value'],
    reference: { mpi4py: [`mpi4py ${c.id}`, 'value'] },
    ...(c.target ? { target: c.target } : {}),
    params: { ranks: c.ranks, warmup: c.warmup, reps: c.reps, iterations: c.iterations, elements: c.elements },
  };
}

export const memorySection: Section = {
  name: 'memory',
  description: 'in-memory transport (runLocal) vs mpi4py on this machine: ping-pong and allreduce',
  async run(context) {
    const cases = chosenCases(context);
    const outcomes = new Map<string, Outcome>();
    for (const c of cases) outcomes.set(`lambda-mpi ${c.id}`, await measure(onLambdaMpi(c), context));
    if (context.mpi4py.available) {
      for (const [id, outcome] of await measureOnMpi4pyOnce(cases, context.log)) outcomes.set(`mpi4py ${id}`, outcome);
    }
    return cases.map((c) => buildRow('memory', rowOf(c), outcomes));
  },
};
