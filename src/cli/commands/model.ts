import { MAX_SIZE } from '../../mpi/constants.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from '../../model/constants.ts';
import type { ModelReport, ModeledFailure } from '../../model/model-run.ts';
import { bundledProgramsLine } from '../bundled-programs.ts';
import type { OutputLine } from '../../runtime/output.ts';
import { renderJobReport, type JobReportInput } from '../../report/job-report-page.ts';
import { renderSweepReport } from '../../report/sweep-page.ts';
import { resolveProgram } from '../../runtime/program-source.ts';
import { toJsonSafe } from '../../job-store/result-json.ts';
import { fileRequestsLine, modelFiles } from '../model-files.ts';
import { dollars, modelJson, parseSizes, runSweep, sweepEntries, sweepJson, sweepTable } from '../model-sweep.ts';
import { checkReportFile, writeReportFile } from '../report-file.ts';
import { EXIT_FAILED, EXIT_OK, UsageError, exitCodeOf, parseCommandLine, type CliIo, type Command } from '../command.ts';
import { describeFailure } from '../job-report.ts';
import { JOB_FLAGS, jobArguments } from '../job-arguments.ts';
import { readyForProgramFile } from '../typescript-loader.ts';
import { grouped } from '../../report/grouped.ts';

const usage = () => `Usage: lambda-mpi model <program-name | file.ts> -n <ranks> [options]
       lambda-mpi model <program-name | file.ts> --sizes <N,N,…> [options]

Runs the program on a simulated clock with a model of AWS (SQS and S3 latencies, per-Lambda
bandwidth, S3 request rates, Lambda start-up and scaling, prices) and prints how long and how
much running it on N Lambdas would take. No AWS account is needed: every rank runs in this
process, and each rank's compute counts by the CPU time it really used.

Options:
  -n, --np <N>            number of ranks (1..${MAX_SIZE})
  --sizes <N,N,…>         model each of these numbers of ranks, one after another (a progress line
                          each on stderr), and print one table of them all, the cheapest and the
                          fastest marked; a size that fails says why in its row and the others
                          go on (exit 1 if any failed); excludes -n
  --input <json>          the program's input, as JSON (same on every rank)
  --input-file <file>     the program's input, read as JSON from <file>
  --json                  print one JSON object: { size, startupSeconds, runSeconds, cleanupSeconds,
                          totalSeconds, collectives, pointToPoint, ranks (each rank's run split
                          into point-to-point, collective and other seconds), requests, costUsd,
                          cost, result, assumptions }; with --sizes, an array of them (a failed size:
                          { size, failed: true, error, modeled? })
  --report <file.html>    write one self-contained HTML page: with -n the modeled job's report
                          (summary, timeline a lane per rank, slowest ranks, longest waits,
                          output); with --sizes the table and time and cost against N
  --timeout <seconds>     the job's timeout, in modeled seconds (default 300)
  --cold                  every Lambda starts cold (default: warm, reused from an earlier job)
  --concurrency <C>       the account's free Lambda concurrency (default ${AWS_MODEL_DEFAULTS.accountConcurrency})
  --memory <MB>           the functions' memory: their share of a vCPU and their price (default ${AWS_MODEL_DEFAULTS.lambdaMemoryMb})
  --cpu-scale <x>         modeled seconds per second of CPU used here (default: from --memory)
  --payload-scale <k>     count TypedArray payloads and file bytes as k times their size (model large vectors
                          and files with small ones)
  --seed <n>              seed of the latency draws (default 1)
  --channel <sqs|valkey>  what carries the messages: SQS queues (default) or a Valkey cache
                          (ElastiCache Serverless: a stage deployed with --channel valkey)
  --file <url>=<size>     an object the program's files find in place (repeatable): <size> bytes
                          of generated text lines (e.g. s3://data/book.txt=100GiB), or
  --file <url>=@<path>    a local file's bytes (read once). Every File is on the modeled S3:
                          other urls are absent until the job writes them; nothing reaches S3
  --output                print the ranks' output (on stderr)
  -h, --help              show this help

${bundledProgramsLine()}
The model's figures and their sources: src/model/constants.ts (as of ${AWS_MODEL_DEFAULTS.asOf}).`;

export const modelCommand: Command = {
  name: 'model',
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
    channel: { type: 'string' },
    output: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    report: { type: 'string' },
    file: { type: 'string', multiple: true },
  });
  if (values.sizes !== undefined && values.np !== undefined) throw new UsageError('-n and --sizes exclude each other: give one size with -n, or several with --sizes');
  const sizes = values.sizes === undefined ? undefined : parseSizes(values.sizes);
  const reportFile = checkReportFile(values.report);
  const { program: target, size, input, timeoutSeconds } = jobArguments(positionals, { ...values, ...(sizes ? { np: String(sizes[0]) } : {}) });
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
    ...(values.channel !== undefined ? { channel: channelFlag(values.channel) } : {}),
    ...(values.file ? { files: modelFiles(values.file) } : {}),
  };
  // Loaded on demand: the model brings the AWS transport's modules, which other commands do without.
  const { modelProgram } = await import('../../model/model-run.ts');
  await readyForProgramFile(target);
  if (sizes) {
    // A program that cannot load fails every size alike: bad usage, said once.
    try {
      await resolveProgram(target);
    } catch (error) {
      io.stderr.write(`lambda-mpi: ${describeFailure(error)}\n`);
      return exitCodeOf(error);
    }
    const outcomes = await runSweep(
      (n) => modelProgram(target, { ...options, size: n, ...(values.output ? { onOutput: printOutput(io) } : {}) }),
      sizes,
      (line) => io.stderr.write(`lambda-mpi: ${line}\n`),
    );
    const first = outcomes.find((outcome) => 'report' in outcome);
    io.stdout.write(values.json ? `${JSON.stringify(toJsonSafe(sweepJson(outcomes)))}\n` : `${first && 'report' in first ? heading(target, 'modeled Lambdas', first.report) : target}\n${sweepTable(outcomes)}\n`);
    if (reportFile) {
      const assumptions = first && 'report' in first ? assumptionsLine(first.report) : 'no size ran';
      await writeReportFile(reportFile, renderSweepReport({ program: target, assumptions, entries: sweepEntries(outcomes) }), io);
    }
    return outcomes.some((outcome) => 'error' in outcome) ? EXIT_FAILED : EXIT_OK;
  }

  const output: OutputLine[] = [];
  const onOutput = (line: OutputLine) => {
    if (reportFile) output.push(line);
    if (values.output) printOutput(io)(line);
  };
  try {
    const report = await modelProgram(target, { ...options, onOutput, ...(reportFile ? { trace: true } : {}) });
    io.stdout.write(values.json ? `${JSON.stringify(toJsonSafe(modelJson(report)))}\n` : describe(target, report));
    if (reportFile) await writeReportFile(reportFile, renderJobReport(modeledJobReport(target, report, output)), io);
    return EXIT_OK;
  } catch (error) {
    io.stderr.write(`lambda-mpi: ${describeFailure(error)}\n`);
    const modeled = (error as ModeledFailure).modelReport;
    if (modeled) io.stderr.write(`(modeled: the job ended ${seconds(modeled.startupSeconds + modeled.runSeconds)} after the run function started)\n`);
    // A job that ran and failed has a report; one refused before it started (exit 2) has none.
    if (reportFile && exitCodeOf(error) === EXIT_FAILED) {
      await writeReportFile(reportFile, renderJobReport({
        ...(modeled ? modeledJobReport(target, modeled, output) : { title: `${target} on ${size} modeled Lambdas`, placement: 'modeled Lambdas', jobId: '(none)', size, output }),
        status: 'failed',
        error: describeFailure(error),
      }), io);
    }
    return exitCodeOf(error);
  }
}

function printOutput(io: CliIo): (line: OutputLine) => void {
  return (line) => void io.stderr.write(`[${line.rank}] ${line.line}\n`);
}

function assumptionsLine(r: ModelReport): string {
  const a = r.assumptions;
  return `${a.memoryMb} MB, ${a.warm ? 'warm' : 'cold'}${r.channel === 'valkey' ? ', messages over Valkey' : ''}; AWS figures as of ${a.constantsAsOf}`;
}

function heading(target: string, what: string, r: ModelReport): string {
  return `${target} on ${what} (${assumptionsLine(r)})`;
}

/** The job report of a modeled job: its figures, its timeline on the model's clock, its output. */
function modeledJobReport(target: string, r: ModelReport, output: OutputLine[]): JobReportInput {
  const count = grouped(r.size);
  return {
    title: `${target} on ${count} modeled Lambdas`,
    placement: `modeled, not run on AWS (${assumptionsLine(r)})`,
    jobId: r.trace?.otherData.jobId ?? '(modeled)',
    size: r.size,
    status: 'succeeded',
    durationMs: r.totalSeconds * 1000,
    phases: { startupMs: r.startupSeconds * 1000, runMs: r.runSeconds * 1000, cleanupMs: r.cleanupSeconds * 1000 },
    cost: { totalUsd: r.costUsd, parts: [{ name: 'Lambda', usd: r.cost.lambda }, messagesCostPart(r), { name: 'S3', usd: r.cost.s3 }] },
    ...(r.trace ? { trace: r.trace } : {}),
    output,
    notes: ['Times are on the model\'s clock: what the job would take on AWS Lambda, not how long modeling it took here.'],
  };
}

function describe(target: string, r: ModelReport): string {
  const count = grouped;
  const lines = [
    heading(target, `${count(r.size)} modeled Lambdas`, r),
    `  start-up     ${seconds(r.startupSeconds).padStart(10)}   until every rank's program runs`,
    `  run          ${seconds(r.runSeconds).padStart(10)}   until rank 0 holds the result`,
    `  cleanup      ${seconds(r.cleanupSeconds).padStart(10)}   the job's ${r.channel === 'valkey' ? 'keys' : 'queues'} and objects deleted`,
    `  total        ${seconds(r.totalSeconds).padStart(10)}`,
  ];
  for (const [name, figure] of Object.entries(r.collectives)) {
    lines.push(`  ${name.padEnd(12)} ${seconds(figure.seconds).padStart(10)}   ${figure.calls} call${figure.calls === 1 ? '' : 's'} (slowest rank)`);
  }
  if (r.pointToPoint.calls) {
    lines.push(`  ${'p2p'.padEnd(12)} ${seconds(r.pointToPoint.seconds).padStart(10)}   ${r.pointToPoint.calls} send/recv call${r.pointToPoint.calls === 1 ? '' : 's'} (slowest rank)`);
  }
  lines.push(...runSplitLines(r));
  // The channel that carried the messages, billed its own way: SQS by 64 KiB chunk, Valkey by ECPU (a KB moved per command).
  const messages = r.channel === 'valkey'
    ? `Valkey ${count(r.requests.valkey ?? 0)} commands (${count(r.sqsBilledRequests)} ECPUs: one per KB moved)`
    : `SQS ${count(r.requests.sqs)} (billed as ${count(r.sqsBilledRequests)}: one per 64 KiB of payload)`;
  const { name, usd } = messagesCostPart(r);
  const messagesCost = `${name} ${dollars(usd)}`;
  lines.push(`  requests     ${messages} · S3 PUT ${count(r.requests.s3Put)} · S3 GET ${count(r.requests.s3Get)} · Lambda Invoke ${count(r.requests.lambdaInvoke)}`);
  lines.push(...fileRequestsLine(r.requests.files));
  lines.push(`  cost         ${dollars(r.costUsd)}   (Lambda ${dollars(r.cost.lambda)} · ${messagesCost} · S3 ${dollars(r.cost.s3)}${r.cost.files !== undefined ? `, of which files ${dollars(r.cost.files)}` : ''})`);
  return `${lines.join('\n')}\n`;
}

/** What the messages cost, on the channel that carried them. */
function messagesCostPart(r: ModelReport): { name: string; usd: number } {
  return r.channel === 'valkey' ? { name: 'Valkey', usd: r.cost.valkey ?? 0 } : { name: 'SQS', usd: r.cost.sqs };
}

/** Most ranks shown one by one in the run's split; beyond, the ranks with the least and the most point-to-point time. */
const SPLIT_RANKS_SHOWN = 8;

/**
 * Where each rank's run went: point-to-point calls, collectives and the rest (compute, or idle
 * once its program ended), which add up to the run: calls count from the end of start-up.
 */
function runSplitLines(r: ModelReport): string[] {
  const byP2p = [...r.ranks].sort((a, b) => a.pointToPointSeconds - b.pointToPointSeconds || a.rank - b.rank);
  const shown = r.ranks.length <= SPLIT_RANKS_SHOWN ? r.ranks : [byP2p[0]!, byP2p.at(-1)!];
  return [
    `  run by rank  point-to-point + collectives + compute and the rest = run${r.ranks.length > SPLIT_RANKS_SHOWN ? ' (the ranks with the least and the most point-to-point time)' : ''}`,
    ...shown.map((split) => `  ${`rank ${split.rank}`.padEnd(12)} ${seconds(split.pointToPointSeconds)} + ${seconds(split.collectiveSeconds)} + ${seconds(split.otherSeconds)} = ${seconds(r.runSeconds)}`),
  ];
}

function seconds(value: number): string {
  return `${value.toFixed(3)} s`;
}


function channelFlag(text: string): 'sqs' | 'valkey' {
  if (text !== 'sqs' && text !== 'valkey') throw new UsageError(`--channel must be sqs or valkey; received ${JSON.stringify(text)}`);
  return text;
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
