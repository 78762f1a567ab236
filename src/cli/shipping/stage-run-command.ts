import { unreceivedWarning } from '../../runtime/unreceived.ts';
import type { RunResult } from '../../runtime/run-result.ts';
import { writeFile } from 'node:fs/promises';
import { ConfigurationError, InvalidArgumentError } from '../../mpi/errors.ts';
import type { JobRequest } from '../../job-store/job-request.ts';
import type { OutputLine } from '../../runtime/output.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from '../command.ts';
import { estimateJobCost, formatCost, type CostEstimate, type CostInput } from '../../cost/job-cost.ts';
import { renderJobReport, type JobReportInput } from '../../report/job-report-page.ts';
import { reportCost } from '../../report/report-cost.ts';
import { reportOfFinishedJob, type FinishedJob } from '../../report/run-result-report.ts';
import type { ChromeTrace } from '../../runtime/trace/chrome-trace.ts';
import { writeReportFile } from '../report-file.ts';
import { ProgressLine } from '../progress-line.ts';
import { describeTimings } from '../time-breakdown.ts';
import { ProgramBundleError, StageNotDeployedError } from './errors.ts';
import { UnknownShippedProgramError, runOnStage } from './run-on-stage.ts';
import { createCloudFormationClient, createStageClients } from './stage-clients.ts';
import { resultJson } from '../../job-store/result-json.ts';
import { rankCount } from '../../report/grouped.ts';

/** A job request (checked where the CLI read it) and how to run it on a stage and report it. */
export interface StageRunArguments extends JobRequest {
  stage: string;
  region?: string;
  tagOutput: boolean;
  printResult: boolean;
  /** Write the job's timeline (Chrome trace-event JSON) to this file. */
  traceFile?: string;
  /** Write the job's report (one self-contained HTML page) to this file; the job is traced. */
  reportFile?: string;
}

/** Refusals that are bad usage (exit 2): the file, the bundle, the stage, the program's id. */
const USAGE_ERRORS = [InvalidArgumentError, ProgramBundleError, StageNotDeployedError, UnknownShippedProgramError, ConfigurationError];

/** Ctrl-C while a job runs: the process's SIGINT, unless a test gives its own. */
export type InterruptSource = (listener: () => void) => () => void;

const processInterrupts: InterruptSource = (listener) => {
  process.on('SIGINT', listener);
  return () => process.off('SIGINT', listener);
};

/**
 * `lambda-mpi run <program> -n N --stage S`: the job runs on the stage's functions; this prints
 * its output as the ranks print it and its outcome as a local run would (exit 0, 1 when the job
 * failed or was cancelled, 2 for bad usage), with progress (bundled, shipped, the job's id, ranks
 * started and finished) on stderr, then where the time went and what the job cost. Ctrl-C
 * cancels the job; a second Ctrl-C exits at once.
 */
export async function runOnStageCommand(args: StageRunArguments, io: CliIo, env: NodeJS.ProcessEnv, interrupts: InterruptSource = processInterrupts): Promise<number> {
  let progressLine: ProgressLine | undefined;
  const around = (write: () => void) => (progressLine ? progressLine.around(write) : write());
  const message = (line: string) => around(() => io.stderr.write(`lambda-mpi: ${line}\n`));
  // What the ranks printed, for the report of a job that fails (a finished job's answer holds it).
  const printed: OutputLine[] = [];
  const print = (line: OutputLine) => {
    if (args.reportFile !== undefined) printed.push(line);
    around(() => (line.stream === 'stderr' ? io.stderr : io.stdout).write(`${args.tagOutput ? `[${line.rank}] ` : ''}${line.line}\n`));
  };
  const title = `${args.program} on ${rankCount(args.size)}`;
  const placement = `stage ${args.stage}'s Lambda functions`;
  const region = args.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  const clients = createStageClients({
    ...(region ? { region } : {}),
    // A custom S3 endpoint is a local server in practice: those need path-style addressing.
    forcePathStyle: env.LAMBDA_MPI_S3_PATH_STYLE ? env.LAMBDA_MPI_S3_PATH_STYLE === 'true' : Boolean(env.AWS_ENDPOINT_URL_S3),
  });
  try {
    const outcome = await runOnStage(
      {
        program: args.program,
        size: args.size,
        stage: args.stage,
        ...(args.input !== undefined ? { input: args.input } : {}),
        ...(args.timeoutSeconds !== undefined ? { timeoutSeconds: args.timeoutSeconds } : {}),
        ...(args.generationSeconds !== undefined ? { generationSeconds: args.generationSeconds } : {}),
        ...(args.retries ? { retries: args.retries } : {}),
        ...(args.traceFile !== undefined || args.reportFile !== undefined ? { trace: true } : {}),
      },
      {
        onProgress: message,
        onOutput: print,
        onJobStarted: (jobId) => (progressLine = new ProgressLine(io.stderr, jobId)),
        onJobProgress: (progress) => progressLine?.update(progress),
      },
      {
        env, clients, cloudFormation: () => createCloudFormationClient(region),
        onInterrupt: interrupts,
        exitNow: () => process.exit(130),
      },
    );
    progressLine?.stop();
    if (outcome.status === 'succeeded') {
      if (args.printResult) io.stdout.write(`${resultJson(outcome.result)}\n`);
      const body = outcome.body as unknown as CostInput & Parameters<typeof describeTimings>[0] & Pick<RunResult, 'unreceived'>;
      if (body.unreceived) io.stderr.write(`${unreceivedWarning(body.unreceived)}\n`);
      let estimate: CostEstimate | undefined;
      if (body.timings?.ranks) {
        io.stderr.write(`lambda-mpi: ${describeTimings(body)}\n`);
        estimate = estimateJobCost(body, clients.meter.snapshot());
        for (const line of formatCost(outcome.jobId, estimate)) io.stderr.write(`lambda-mpi: ${line}\n`);
      }
      if (args.reportFile !== undefined) {
        const finished = outcome.body as unknown as FinishedJob;
        const report = reportOfFinishedJob({ ...finished, jobId: outcome.jobId, size: args.size, ...(outcome.trace !== undefined ? { trace: JSON.parse(outcome.trace) as ChromeTrace } : {}) }, {
          title, placement, ...(estimate ? { cost: reportCost(estimate) } : {}),
        });
        await writeReportFile(args.reportFile, renderJobReport(report), io);
      }
      if (args.traceFile !== undefined) {
        if (outcome.trace === undefined) io.stderr.write(`lambda-mpi: the stage did not return job ${outcome.jobId}'s timeline; no trace written\n`);
        else {
          await writeFile(args.traceFile, outcome.trace);
          io.stderr.write(`lambda-mpi: wrote the job's timeline to ${args.traceFile} (open it in https://ui.perfetto.dev or chrome://tracing)\n`);
        }
      }
      return EXIT_OK;
    }
    if (outcome.status === 'cancelled') {
      io.stderr.write(`lambda-mpi: job ${outcome.jobId} was cancelled (by ${outcome.by})${outcome.tookMs !== undefined ? ` in ${(outcome.tookMs / 1000).toFixed(1)} s` : ''}: every rank stopped, its messages and objects are deleted\n`);
      if (args.reportFile !== undefined) {
        await writeReportFile(args.reportFile, renderJobReport({ title, placement, jobId: outcome.jobId, size: args.size, status: 'cancelled', error: `cancelled by ${outcome.by}`, output: printed }), io);
      }
      return EXIT_FAILED;
    }
    const { error } = outcome;
    if (args.reportFile !== undefined && !error.refused) {
      await writeReportFile(args.reportFile, renderJobReport({
        title, placement, jobId: outcome.jobId, size: args.size, status: 'failed', error: `${error.message}${error.stack ? `\n${error.stack}` : ''}`, output: printed,
      }), io);
    }
    io.stderr.write(error.refused ? `lambda-mpi: stage ${args.stage} refused the job: ${error.message}\n` : `lambda-mpi: job ${outcome.jobId} failed: ${error.message}\n`);
    if (error.stack && !error.refused) io.stderr.write(`${error.rank !== undefined ? `--- stack of rank ${error.rank} ---\n` : ''}${error.stack}\n`);
    return error.refused ? EXIT_USAGE : EXIT_FAILED;
  } catch (error) {
    progressLine?.stop();
    io.stderr.write(`lambda-mpi: ${(error as Error).message}\n`);
    return USAGE_ERRORS.some((type) => error instanceof type) ? EXIT_USAGE : EXIT_FAILED;
  } finally {
    clients.destroy();
  }
}

