import { benchCases, type BenchCase, type CaseTiming } from './cases.ts';
import { measureOnMemory } from './memory-bench.ts';
import { measureQuietly } from './machine-load.ts';
import { measureOnMpi4pyOnce } from './mpi4py-once.ts';
import { median } from './stats.ts';
import type { Row, Section } from './types.ts';

/** The figure of a timing: from the median repetition's time per iteration. */
function figureOf(c: BenchCase, timing: CaseTiming): number {
  const perIteration = median(timing.secondsPerRep) / timing.iterations;
  return c.figure(perIteration);
}

/** Every repetition's figure, for the JSON (spread across repetitions). */
function figuresOf(c: BenchCase, timing: CaseTiming): number[] {
  return timing.secondsPerRep.map((seconds) => c.figure(seconds / timing.iterations));
}

/**
 * lambda-mpi over its in-memory transport (all ranks in this process) against mpi4py over
 * Open MPI's shared memory (one process per rank), case by case.
 */
export const memorySection: Section = {
  name: 'memory',
  description: 'in-memory transport (runLocal) vs mpi4py on this machine: ping-pong and allreduce',
  async run(context) {
    const cases = benchCases(context.quick);
    const rows = new Map<string, Row>();
    for (const c of cases) {
      context.log(`lambda-mpi: ${c.id} (${c.reps} × ${c.iterations} after ${c.warmup} warm-up)`);
      const base: Row = {
        id: `memory.${c.id}`,
        section: 'memory',
        metric: c.metric,
        unit: c.unit,
        better: c.better,
        lambdaMpi: null,
        mpi4py: null,
        ...(c.target ? { target: c.target } : {}),
        detail: { ranks: c.ranks, params: { warmup: c.warmup, reps: c.reps, iterations: c.iterations, elements: c.elements } },
      };
      rows.set(c.id, base);
      try {
        const measured = await measureQuietly(`lambda-mpi: ${c.id}`, () => measureOnMemory(c), context.log);
        const { timing, rssMiB } = measured.value;
        base.lambdaMpi = figureOf(c, timing);
        if (measured.othersBusy !== undefined) base.othersCpuBusy = { lambdaMpi: measured.othersBusy };
        base.detail!.lambdaMpi = {
          perRep: figuresOf(c, timing),
          secondsPerRep: timing.secondsPerRep,
          rssMiBAfter: Math.round(rssMiB),
          attempts: measured.attempts,
        };
      } catch (error) {
        // One broken case costs its own figure, not the section's.
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        context.log(`lambda-mpi: ${c.id} failed: ${message}`);
        base.detail!.lambdaMpi = { error: message };
      }
    }
    if (context.mpi4py.available) {
      const reference = await measureOnMpi4pyOnce(cases, context.log);
      for (const c of cases) {
        const measured = reference.get(c.id);
        const row = rows.get(c.id)!;
        if (!measured) continue;
        if (!measured.ok) {
          row.detail!.mpi4py = { error: measured.error };
          continue;
        }
        row.mpi4py = figureOf(c, measured.timing);
        if (measured.othersBusy !== undefined) row.othersCpuBusy = { ...row.othersCpuBusy, mpi4py: measured.othersBusy };
        row.detail!.mpi4py = {
          attempts: measured.attempts,
          perRep: figuresOf(c, measured.timing),
          secondsPerRep: measured.timing.secondsPerRep,
          command: measured.run.command,
          library: measured.run.mpi,
          buffers: measured.run.buffers,
        };
      }
    }
    return [...rows.values()];
  },
};
