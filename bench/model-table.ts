/**
 * npx tsx bench/model-table.ts [--sizes 16,256,1000] [--markdown]
 *
 * Issue 12's table, from the model with its default constants: modeled start-up (hello), one
 * barrier among ranks already in step, one 8 MiB Float64 allreduce among ranks in step, and the
 * cost of that allreduce job, for each size. "In step": a barrier before; and a collective after,
 * so that the ranks' final reports to rank 0 do not queue up in front of the measured call. The 8 MiB vectors are modeled with 128 KiB ones at a
 * payload scale of 64 (N full copies would not fit in this machine's memory); their combining is
 * then measured on 128 KiB, a few ms short per tree level.
 */
import { SUM, defineProgram } from '../src/index.ts';
import { modelProgram } from '../src/model/model-run.ts';

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
  const options = { size, constants: undefined, ...(size > 1000 ? { constants: { ...(await import('../src/model/constants.ts')).AWS_MODEL_DEFAULTS, accountConcurrency: size } } : {}) };
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
