import { MAX_SIZE } from '../../mpi/constants.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from '../../model/constants.ts';
import type { ModelReport, ModeledFailure } from '../../model/model-run.ts';
import { bundledProgramsLine } from '../bundled-programs.ts';
import type { OutputLine } from '../../runtime/output.ts';
import { EXIT_OK, UsageError, exitCodeOf, parseCommandLine, type CliIo, type Command } from '../command.ts';
import { describeFailure } from '../job-report.ts';
import { toJsonSafe } from '../../runtime/json-safe.ts';
import { JOB_FLAGS, jobArguments } from '../job-arguments.ts';

const usage = () => `Usage: lambda-mpi model <program-name | file.ts> -n <ranks> [options]

Runs the program on a simulated clock with a model of AWS (SQS and S3 latencies, per-Lambda
bandwidth, S3 request rates, Lambda start-up and scaling, prices) and prints how long and how
much running it on N Lambdas would take. No AWS account is needed: every rank runs in this
process, and each rank's compute counts by the CPU time it really used.

Options:
  -n, --np <N>            number of ranks (1..${MAX_SIZE})
  --input <json>          the program's input, as JSON (same on every rank)
  --input-file <file>     the program's input, read as JSON from <file>
  --json                  print one JSON object: { size, startupSeconds, runSeconds, cleanupSeconds,
                          totalSeconds, collectives, requests, costUsd, cost, result, assumptions }
  --timeout <seconds>     the job's timeout, in modeled seconds (default 300)
  --cold                  every Lambda starts cold (default: warm, reused from an earlier job)
  --concurrency <C>       the account's free Lambda concurrency (default ${AWS_MODEL_DEFAULTS.accountConcurrency})
  --memory <MB>           the functions' memory: their share of a vCPU and their price (default ${AWS_MODEL_DEFAULTS.lambdaMemoryMb})
  --cpu-scale <x>         modeled seconds per second of CPU used here (default: from --memory)
  --payload-scale <k>     count TypedArray payloads as k times their size (model large vectors
                          with small ones)
  --seed <n>              seed of the latency draws (default 1)
  --output                print the ranks' output (on stderr)
  -h, --help              show this help

${bundledProgramsLine()}
The model's figures and their sources: src/model/constants.ts (as of ${AWS_MODEL_DEFAULTS.asOf}).`;

export const modelCommand: Command = {
  name: 'model',
  summary: 'model the time and cost of running a program on N Lambdas, without an AWS account',
  get usage() {
    return usage();
  },
  run,
};

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    ...JOB_FLAGS,
    json: { type: 'boolean', default: false },
    cold: { type: 'boolean', default: false },
    concurrency: { type: 'string' },
    memory: { type: 'string' },
    'cpu-scale': { type: 'string' },
    'payload-scale': { type: 'string' },
    seed: { type: 'string' },
    output: { type: 'boolean', default: false },
  });
  const { program: target, size, input, timeoutSeconds } = jobArguments(positionals, values);
  const constants: AwsModelConstants = {
    ...AWS_MODEL_DEFAULTS,
    ...(values.concurrency !== undefined ? { accountConcurrency: positive('--concurrency', values.concurrency, true) } : {}),
    ...(values.memory !== undefined ? { lambdaMemoryMb: memory(values.memory) } : {}),
  };
  const options = {
    size,
    input,
    constants,
    warm: !values.cold,
    ...(timeoutSeconds !== undefined ? { timeoutMs: timeoutSeconds * 1000 } : {}),
    ...(values['cpu-scale'] !== undefined ? { cpuScale: nonNegative('--cpu-scale', values['cpu-scale']) } : {}),
    ...(values['payload-scale'] !== undefined ? { payloadScale: positive('--payload-scale', values['payload-scale'], false) } : {}),
    ...(values.seed !== undefined ? { seed: positive('--seed', values.seed, true) } : {}),
    ...(values.output ? { onOutput: (line: OutputLine) => void io.stderr.write(`[${line.rank}] ${line.line}\n`) } : {}),
  };

  try {
    // Loaded on demand: the model brings the AWS transport's modules, which other commands do without.
    const { modelProgram } = await import('../../model/model-run.ts');
    const report = await modelProgram(target, options);
    io.stdout.write(values.json ? `${JSON.stringify(toJsonSafe(report))}\n` : describe(target, report));
    return EXIT_OK;
  } catch (error) {
    io.stderr.write(`lambda-mpi: ${describeFailure(error)}\n`);
    const modeled = (error as ModeledFailure).modelReport;
    if (modeled) io.stderr.write(`(modeled: the job ended ${seconds(modeled.startupSeconds + modeled.runSeconds)} after the run function started)\n`);
    return exitCodeOf(error);
  }
}

function describe(target: string, r: ModelReport): string {
  const a = r.assumptions;
  const count = (n: number) => n.toLocaleString('en-US');
  const lines = [
    `${target} on ${count(r.size)} modeled Lambdas (${a.memoryMb} MB, ${a.warm ? 'warm' : 'cold'}; AWS figures as of ${a.constantsAsOf})`,
    `  start-up     ${seconds(r.startupSeconds).padStart(10)}   until every rank's program runs`,
    `  run          ${seconds(r.runSeconds).padStart(10)}   until rank 0 holds the result`,
    `  cleanup      ${seconds(r.cleanupSeconds).padStart(10)}   the job's queues and objects deleted`,
    `  total        ${seconds(r.totalSeconds).padStart(10)}`,
  ];
  for (const [name, figure] of Object.entries(r.collectives)) {
    lines.push(`  ${name.padEnd(12)} ${seconds(figure.seconds).padStart(10)}   ${figure.calls} call${figure.calls === 1 ? '' : 's'} (slowest rank)`);
  }
  lines.push(
    `  requests     SQS ${count(r.requests.sqs)} (billed as ${count(r.sqsBilledRequests)}: one per 64 KiB of payload) · S3 PUT ${count(r.requests.s3Put)} · S3 GET ${count(r.requests.s3Get)} · Lambda Invoke ${count(r.requests.lambdaInvoke)}`,
    `  cost         ${dollars(r.costUsd)}   (Lambda ${dollars(r.cost.lambda)} · SQS ${dollars(r.cost.sqs)} · S3 ${dollars(r.cost.s3)})`,
  );
  return `${lines.join('\n')}\n`;
}

function seconds(value: number): string {
  return `${value.toFixed(3)} s`;
}

function dollars(value: number): string {
  return `$${value < 0.01 ? value.toPrecision(3) : value.toFixed(4)}`;
}

function positive(flag: string, text: string, integer: boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag} must be a positive ${integer ? 'integer' : 'number'}; received ${JSON.stringify(text)}`);
  }
  return value;
}

function nonNegative(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`${flag} must be a number ≥ 0; received ${JSON.stringify(text)}`);
  return value;
}

/** Lambda's memory settings: 128..10,240 MB. */
function memory(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 128 || value > 10_240) {
    throw new UsageError(`--memory must be an integer number of MB in 128..10240 (Lambda's range); received ${JSON.stringify(text)}`);
  }
  return value;
}
