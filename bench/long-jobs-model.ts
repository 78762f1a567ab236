/**
 * npx tsx bench/long-jobs-model.ts [--ranks 256] [--state-mib 64] [--hours 1]
 *
 * Issue 21's figures, from the model with its default constants: what a job longer than one
 * Lambda pays for its generations. Modeled: one checkpoint of `--state-mib` per rank (every rank's
 * PUT through its own link, rank 0's manifest), one restore (the manifest's and the part's GETs),
 * and one generation's start-up (`hello`: the run function, the queues, the invocation tree, the
 * check-ins). Composed: a job of `--hours` on `--ranks` ranks, generations of the run function's
 * 900 s less the reserve below, one checkpoint and one start-up per generation after the first.
 */
import { MAX, defineProgram, wtime } from '../src/index.ts';
import { AWS_MODEL_DEFAULTS } from '../src/model/constants.ts';
import { modelProgram } from '../src/model/model-run.ts';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const ranks = flag('--ranks', 256);
const stateMib = flag('--state-mib', 64);
const hours = flag('--hours', 1);

// 1 MiB held per rank, counted as `stateMib` on the wire (the model's payload scale scales a TypedArray's bytes).
const HELD_BYTES = 2 ** 20;
const writeOnce = defineProgram(async (comm) => {
  const vector = new Float64Array(HELD_BYTES / 8).fill(comm.rank);
  await comm.barrier();
  const started = wtime();
  await comm.checkpoint(vector);
  return wtime() - started;
});
const endAndRestore = defineProgram(async (comm) => {
  const started = wtime();
  const restored = await comm.restore<Float64Array>();
  const readSeconds = wtime() - started;
  if (restored) return comm.allreduce(readSeconds, MAX);
  // A generation of a modeled millisecond: this call is due, and the next generation restores.
  await comm.checkpointIfDue(new Float64Array(HELD_BYTES / 8).fill(comm.rank));
  return undefined;
});

const constants = AWS_MODEL_DEFAULTS;
const model = { size: ranks, payloadScale: stateMib };
const writeSeconds = (await modelProgram(writeOnce, model)).result as number;
const readSeconds = (await modelProgram(endAndRestore, { ...model, generationSeconds: 0.001 })).result as number;
const hello = await modelProgram('hello', { size: ranks });

const prices = constants.prices;
const gbSecond = prices.lambda.gbSecond.arm64 * (constants.lambdaMemoryMb / 1024);
// One checkpoint: a PUT per rank and the manifest; one restore: two GETs per rank; every rank billed while it writes or reads.
const checkpointUsd = (ranks + 1) * prices.s3.putClass + ranks * writeSeconds * gbSecond;
// The second checkpoint of a generation is the one that ends it: it is read back once by the next generation.
const restoreUsd = 2 * ranks * prices.s3.getClass + ranks * readSeconds * gbSecond;
const startupUsd = hello.costUsd;
// Each generation: the run function's 900 s, less its start-up, the checkpoint (twice, as checkpointIfDue reserves), one agreement
// interval (10 s: the due checkpoint comes up to one interval early) and the cleanup margin (10 s).
const generationSeconds = 900 - hello.startupSeconds - 2 * writeSeconds - 10 - 10;
const jobSeconds = hours * 3_600;
const generations = Math.ceil(jobSeconds / generationSeconds);
const restarts = generations - 1;
const computeUsd = ranks * jobSeconds * gbSecond;
const overheadUsd = restarts * (checkpointUsd + restoreUsd + startupUsd);
const overheadSeconds = restarts * (writeSeconds + hello.startupSeconds + readSeconds);

const lines = [
  `modeled at ${ranks} ranks, ${stateMib} MiB of state per rank, ${constants.lambdaMemoryMb} MB functions (constants of ${constants.asOf}):`,
  `  one checkpoint (${ranks} PUTs of ${stateMib} MiB + the manifest): ${writeSeconds.toFixed(2)} s, $${checkpointUsd.toFixed(4)}`,
  `  one restore (${2 * ranks} GETs): ${readSeconds.toFixed(2)} s, $${restoreUsd.toFixed(4)}`,
  `  one generation's start-up (hello, warm): ${hello.startupSeconds.toFixed(2)} s, whole hello job $${startupUsd.toFixed(4)}`,
  `a ${hours}-hour job: ${generations} generations of at most ${generationSeconds.toFixed(0)} s of program time; ${restarts} switches`,
  `  time the switches take: ${overheadSeconds.toFixed(1)} s (${((100 * overheadSeconds) / jobSeconds).toFixed(2)} % of the job)`,
  `  their cost: $${overheadUsd.toFixed(3)} against $${computeUsd.toFixed(2)} for ${ranks} ranks computing ${hours} h (${((100 * overheadUsd) / computeUsd).toFixed(2)} %)`,
];
console.log(lines.join('\n'));
