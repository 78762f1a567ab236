/**
 * npx tsx bench/channel-table.ts [--markdown]
 *
 * The channel × program table of docs/architecture.md ("The Valkey channel: which to choose"):
 * each program modeled on SQS and on Valkey (`model --channel`), with the model's default
 * constants, warm. heat: the 1-D stencil of bench/heat-1d.ts, 256 ranks, 500 steps (a halo
 * exchange of one cell each way per step); allreduce: 8 MiB Float64 (modeled as 128 KiB at a
 * payload scale of 64, as bench/model-table.ts does) on 256 ranks; hello on 1,000 ranks; pi
 * (10^7 samples) on 256 ranks. Time is the whole job (start-up, run, cleanup); dollars are the
 * job's requests and Lambda time (the cache's stored-data floor is the stage's, docs/deploying.md).
 */
import { SUM, defineProgram } from '../src/index.ts';
import { modelProgram, type ModelReport } from '../src/model/model-run.ts';
import type { ModelChannel } from '../src/model/modeled-job.ts';
import { heat1d } from './heat-1d.ts';

const SCALE = 64;
const ELEMENTS = (8 * 2 ** 20) / 8 / SCALE;
const allreduce8MiB = defineProgram(async (comm) => {
  const vector = new Float64Array(ELEMENTS).fill(comm.rank);
  const sum = (await comm.allreduce(vector, SUM)) as Float64Array;
  return comm.rank === 0 ? sum[0] : undefined;
});

const programs: Array<{ name: string; size: number; run: (channel: ModelChannel) => Promise<ModelReport> }> = [
  { name: 'heat (1-D stencil, 500 steps)', size: 256, run: (channel) => modelProgram(heat1d, { size: 256, input: { steps: 500, cells: 1_000 }, channel }) },
  { name: 'allreduce 8 MiB', size: 256, run: (channel) => modelProgram(allreduce8MiB, { size: 256, payloadScale: SCALE, channel }) },
  { name: 'hello', size: 1_000, run: (channel) => modelProgram('hello', { size: 1_000, channel }) },
  { name: 'pi (10^7 samples)', size: 256, run: (channel) => modelProgram('pi', { size: 256, input: { samples: 1e7 }, channel }) },
];

const lines = ['| program | ranks | SQS: time | SQS: cost | Valkey: time | Valkey: cost | time, SQS ÷ Valkey |', '|---|---|---|---|---|---|---|'];
for (const program of programs) {
  const sqs = await program.run('sqs');
  const valkey = await program.run('valkey');
  const seconds = (r: ModelReport) => `${r.totalSeconds.toFixed(2)} s (run ${r.runSeconds.toFixed(2)} s)`;
  const dollars = (r: ModelReport) => `$${r.costUsd.toPrecision(3)}`;
  lines.push(`| ${program.name} | ${program.size.toLocaleString('en-US')} | ${seconds(sqs)} | ${dollars(sqs)} | ${seconds(valkey)} | ${dollars(valkey)} | ${(sqs.totalSeconds / valkey.totalSeconds).toFixed(1)}× (run ${(sqs.runSeconds / valkey.runSeconds).toFixed(1)}×) |`);
  process.stderr.write(`${program.name} done\n`);
}
process.stdout.write(`${lines.join('\n')}\n`);
