/**
 * npx tsx bench/model-table.ts [--sizes 16,256,1000] [--markdown]
 *
 * Then issue 19's comparison: a 2-D stencil on 256 ranks, halos exchanged with isend/irecv
 * overlapping the interior sweep against the same with blocking sendrecv (bench/halo-stencil.ts).
 * The overlapped form saves twice: its four exchanges travel at once instead of one after the
 * other, and behind the interior sweep instead of before it.
 *
 * Issue 12's table, from the model with its default constants: modeled start-up (hello), one
 * barrier among ranks already in step, one 8 MiB Float64 allreduce among ranks in step, and the
 * cost of that allreduce job, for each size. "In step": a barrier before; and a collective after,
 * so that the ranks' final reports to rank 0 do not queue up in front of the measured call. The 8 MiB vectors are modeled with 128 KiB ones at a
 * payload scale of 64 (N full copies would not fit in this machine's memory); their combining is
 * then measured on 128 KiB, a few ms short per tree level.
 */
import { SUM, defineProgram, runLocal } from '../src/index.ts';
import { AWS_MODEL_DEFAULTS } from '../src/model/constants.ts';
import { lambdaCpuScale } from '../src/model/modeled-job.ts';
import { modelProgram } from '../src/model/model-run.ts';
import { haloStencil } from './halo-stencil.ts';

const argv = process.argv.slice(2);
const sizesArgument = argv.includes('--sizes') ? argv[argv.indexOf('--sizes') + 1]! : '16,256,1000,10000';
const sizes = sizesArgument.split(',').map(Number);

const twoBarriers = defineProgram(async (comm) => {
  await comm.barrier();
  await comm.barrier(); // the measured one: the last barrier call
  await comm.allreduce(1);
});

const SCALE = 64;
const ELEMENTS = (8 * 2 ** 20) / 8 / SCALE;
const allreduceInStep = defineProgram(async (comm) => {
  const vector = new Float64Array(ELEMENTS);
  for (let i = 0; i < ELEMENTS; i++) vector[i] = i + comm.rank;
  await comm.barrier();
  const sum = await comm.allreduce(vector, SUM);
  await comm.barrier();
  const expected = comm.size * (ELEMENTS - 1) + (comm.size * (comm.size - 1)) / 2;
  if (sum[ELEMENTS - 1] !== expected) throw new Error(`wrong sum ${sum[ELEMENTS - 1]}, expected ${expected}`);
});

const rows: string[] = [];
for (const size of sizes) {
  const options = { size, constants: undefined, ...(size > 1000 ? { constants: { ...AWS_MODEL_DEFAULTS, accountConcurrency: size } } : {}) };
  const started = performance.now();
  try {
    const hello = await modelProgram('hello', options);
    const barrier = await modelProgram(twoBarriers, options);
    const allreduce = await modelProgram(allreduceInStep, { ...options, payloadScale: SCALE });
    rows.push(`| ${size.toLocaleString('en-US')} | ${hello.startupSeconds.toFixed(2)} s | ${(barrier.collectives.barrier!.lastCallSeconds * 1000).toFixed(0)} ms | ${allreduce.collectives.allreduce!.lastCallSeconds.toFixed(2)} s | $${allreduce.costUsd.toFixed(4)} | ${hello.cleanupSeconds.toFixed(2)} s |`);
  } catch (error) {
    rows.push(`| ${size.toLocaleString('en-US')} | ${(error as Error).message} | | | | |`);
  }
  process.stderr.write(`size ${size}: ${((performance.now() - started) / 1000).toFixed(1)} s of wall time\n`);
}
console.log('| ranks | start-up | barrier | 8 MiB allreduce | cost of that job | cleanup |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);

/**
 * Two block sizes per rank: 256×256, where the halo exchange's hops outweigh the sweep, and
 * 1024×1024, where the sweep outweighs them. Every rank sweeps its block for real (both forms
 * must give the same checksum), but the modeled compute is the cells swept at a rate measured
 * here once, before: measured per turn, the slowest of 256 ranks' noisy turns would set each
 * step's time and hide the difference looked for. The larger block is modeled with the smaller
 * (256 real 1024×1024 blocks would not fit in this machine's memory): its cells count 16 times,
 * its edges 4 times their size.
 */
const STENCIL = { ranks: 256, steps: 5, block: 256 };
/** CPU ms per cell of the sweep on this machine: one rank alone, after a run to compile it. */
async function sweepMsPerCell(): Promise<number> {
  let cells = 0;
  const alone = haloStencil({ overlap: false, steps: 40, block: STENCIL.block, onSweep: (n) => (cells += n) });
  await runLocal(alone, { size: 1 });
  cells = 0;
  const started = process.cpuUsage();
  await runLocal(alone, { size: 1 });
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000 / cells;
}
const msPerCell = await sweepMsPerCell();
const stencilRows: string[] = [];
const checksums = new Set<unknown>();
for (const modeledBlock of [256, 1024]) {
  const scale = modeledBlock / STENCIL.block;
  let cpuMs = 0;
  const placement = { size: STENCIL.ranks, cpuScale: lambdaCpuScale(AWS_MODEL_DEFAULTS), payloadScale: scale, meter: () => cpuMs };
  const onSweep = (cells: number) => (cpuMs += cells * scale ** 2 * msPerCell);
  let blockingSeconds = 0;
  for (const overlap of [false, true]) {
    const started = performance.now();
    const report = await modelProgram(haloStencil({ overlap, steps: STENCIL.steps, block: STENCIL.block, onSweep }), placement);
    checksums.add(report.result);
    if (!overlap) blockingSeconds = report.runSeconds;
    const saving = overlap ? `${((blockingSeconds - report.runSeconds) * 1000 / STENCIL.steps).toFixed(1)} ms (${(((blockingSeconds - report.runSeconds) / blockingSeconds) * 100).toFixed(0)} %)` : '';
    const how = overlap ? 'isend/irecv, interior sweep overlapping' : 'blocking sendrecv, then the sweep';
    stencilRows.push(`| ${modeledBlock}×${modeledBlock} | ${how} | ${((report.runSeconds * 1000) / STENCIL.steps).toFixed(1)} ms | ${saving} |`);
    process.stderr.write(`stencil ${modeledBlock} ${overlap ? 'overlapped' : 'blocking'}: ${((performance.now() - started) / 1000).toFixed(1)} s of wall time\n`);
  }
}
if (checksums.size !== 1) throw new Error(`the stencil's two forms disagree: checksums ${[...checksums].join(', ')}`);
console.log();
console.log(`2-D Jacobi stencil on ${STENCIL.ranks} ranks, ${STENCIL.steps} steps, halo exchange each step; the sweep at ${(msPerCell * 1e6).toFixed(2)} ns a cell here, times the Lambda's CPU share (time per step, from the run's modeled time):`);
console.log();
console.log('| block per rank | halo exchange | per step | saving per step |');
console.log('|---|---|---|---|');
for (const row of stencilRows) console.log(row);
