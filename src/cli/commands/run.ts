import { unreceivedWarning } from '../../runtime/unreceived.ts';
import { writeFile } from 'node:fs/promises';
import { MAX_SIZE } from '../../mpi/constants.ts';
import { bundledProgramsLine } from '../bundled-programs.ts';
import type { OutputLine } from '../../runtime/output.ts';
import type { RunLocalOptions } from '../../runtime/run-local.ts';
import type { RunResult } from '../../runtime/run-result.ts';
import { EXIT_FAILED, EXIT_OK, UsageError, exitCodeOf, parseCommandLine, type CliIo, type Command } from '../command.ts';
import { describeFailure } from '../job-report.ts';
import { JOB_FLAGS, jobArguments } from '../job-arguments.ts';
import { checkReportFile, writeReportFile } from '../report-file.ts';
import { checkRegion, checkStage } from '../stage.ts';
import { readyForProgramFile } from '../typescript-loader.ts';
import { resultJson } from '../../job-store/result-json.ts';
import { MAX_RETRIES } from '../../mpi/constants.ts';
import { rankCount } from '../../report/grouped.ts';

const usage = () => `Usage: lambda-mpi run <program-name | file.ts> -n <ranks> [options]
       lambda-mpi run <program-name | file.ts | sha256:<hex>> -n <ranks> --stage <stage> [--region <region>] [options]

Runs every rank of a program in this process, like mpirun -np N: each rank in a worker thread of
its own (CPU-bound ranks run in parallel), or with --inline all of them in the CLI's own thread.
With --stage, runs it on that deployed stage's Lambda functions instead: a file is bundled with its
imports and npm dependencies and shipped to the stage (once: its id is the bundle's sha256), with
no redeploy.

Options:
  -n, --np <N>         number of ranks (1..${MAX_SIZE})
  --input <json>       the program's input, as JSON (same on every rank)
  --input-file <file>  the program's input, read as JSON from <file>
  --timeout <seconds>  fail the job after this many seconds (default 300)
  --generation-seconds <S>  end each generation after S seconds, at the program's next
                       checkpointIfDue (docs/long-jobs.md): tests a program's restart path, here
                       or on a stage (where a job beyond one function's time does it by itself)
  --retries <K>        a lost rank (its thread, or on a stage its Lambda, ended under it) restarts
                       the job from its last complete checkpoint, at most K times (threads, or
                       a stage)
  --tag-output         prefix every output line with [rank]
  --result             print rank 0's return value as JSON when the job ends
  --threads            every rank in a worker thread of its own (the default; past 8 ranks
                       a core, a few ranks share each thread)
  --inline             every rank in this thread instead: no bundling, but a rank that never
                       yields then stops the timeout and Ctrl-C too
  --trace <file>       write the job's timeline to <file> (Chrome trace-event JSON: open it in
                       https://ui.perfetto.dev or chrome://tracing), one track per rank
  --report <file.html> write one self-contained HTML page of the job (open it in any browser, offline):
                       its summary, a timeline with a lane per rank (start-up, compute, each MPI
                       call's wait with its peer, tag or root, sends), the slowest ranks, the
                       longest waits and each rank's first and last output lines (traces the job)
  --stage <stage>      run on this deployed stage (\`lambda-mpi deploy\`, or \`lambda-mpi offline\`):
                       the ranks' output shows as they print it, progress on stderr, then where
                       the time went and the job's estimated cost; Ctrl-C cancels the job
  --region <region>    the stage's AWS region (default: the SDK's, e.g. AWS_REGION)
  -h, --help           show this help

${bundledProgramsLine()}
A file (.ts, .mts, .js, .mjs) must export a program made by defineProgram() as its default export.
Ctrl-C prints what each rank is doing (the call it waits in, or that it does not answer) and exits 1.`;

const LOCAL_COST_NOTE = 'The ranks ran on this machine, at no AWS cost: `lambda-mpi model` estimates what the same job would cost on N Lambdas.';

export const runCommand: Command = {
  name: 'run',
  get usage() {
    return usage();
  },
  run,
};

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    ...JOB_FLAGS,
    'tag-output': { type: 'boolean', default: false },
    result: { type: 'boolean', default: false },
    threads: { type: 'boolean', default: false },
    inline: { type: 'boolean', default: false },
    stage: { type: 'string' },
    region: { type: 'string' },
    trace: { type: 'string' },
    report: { type: 'string' },
    'generation-seconds': { type: 'string' },
    retries: { type: 'string' },
  });
  const generations = generationFlags(values['generation-seconds'], values.retries);
  if (values.trace === '') throw new UsageError('--trace needs a file name: --trace timeline.json');
  const reportFile = checkReportFile(values.report);
  const request = jobArguments(positionals, values);
  const { program: target, size, input, timeoutSeconds } = request;
  const timeoutMs = timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000;
  if (values.stage !== undefined && (values.threads || values.inline)) {
    throw new UsageError(`--${values.threads ? 'threads' : 'inline'} places ranks in this process; with --stage they run on the stage's Lambda functions`);
  }
  if (values.stage !== undefined) {
    // Loaded on demand: only a run on a stage needs the AWS SDK and the bundler.
    const { runOnStageCommand } = await import('../shipping/stage-run-command.ts');
    return runOnStageCommand({
      ...request,
      ...(generations.generationSeconds !== undefined ? { generationSeconds: generations.generationSeconds } : {}),
      ...(generations.retries ? { retries: generations.retries } : {}),
      stage: checkStage(values.stage),
      ...(checkRegion(values.region) ? { region: values.region! } : {}),
      tagOutput: values['tag-output'] === true,
      printResult: values.result === true,
      ...(values.trace !== undefined ? { traceFile: values.trace } : {}),
      ...(reportFile !== undefined ? { reportFile } : {}),
    }, io, process.env);
  }
  if (values.region !== undefined) throw new UsageError('--region needs --stage: it says where a deployed stage is');
  if (values.threads && values.inline) throw new UsageError('--threads and --inline exclude each other');
  if (values.inline && generations.retries) throw new UsageError('--retries needs ranks in threads: with --inline a lost rank would be this process itself');
  // Threads by default: the CLI's own thread then stays free to enforce the timeout on a rank
  // that never yields and to answer Ctrl-C, and CPU-bound ranks use every core.
  const threads = !values.inline;

  const interrupt = new AbortController();
  const onSigint = () => {
    if (interrupt.signal.aborted) process.exit(130);
    if (!threads) {
      // Ranks in this thread cannot be asked what they wait on, nor stopped one by one: say so and go.
      io.stderr.write('lambda-mpi: interrupted (Ctrl-C); the ranks ran in this thread (--inline), so what each waited on is not known: run without --inline to see it\n');
      process.exit(130);
    }
    interrupt.abort(new Error('Ctrl-C'));
  };
  process.on('SIGINT', onSigint);
  // What the ranks printed, for the report of a job that fails (a finished job's result holds it).
  const printed: OutputLine[] = [];
  const title = `${target} on ${rankCount(size)}`;
  const placement = threads ? 'ranks in worker threads of this process' : 'ranks in this process\'s thread (--inline)';
  try {
    const tag = values['tag-output'];
    const print = (line: OutputLine) => {
      if (reportFile !== undefined) printed.push(line);
      (line.stream === 'stderr' ? io.stderr : io.stdout).write(`${tag ? `[${line.rank}] ` : ''}${line.line}\n`);
    };
    const options = {
      size,
      input,
      onOutput: print,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(values.trace !== undefined || reportFile !== undefined ? { trace: true } : {}),
      ...generations,
    };
    // What runLocal does with threads: true, loaded on its own: this thread then loads neither the
    // MPI engine nor rank 0's job, which only ranks in this thread (--inline) need.
    const result = threads
      ? await (await import('../../runtime/threads/run-threads.ts')).runInThreads(target, { ...options, signal: interrupt.signal })
      : await runInline(target, options);
    if (values.result) io.stdout.write(`${resultJson(result.result)}\n`);
    if (result.unreceived) io.stderr.write(`${unreceivedWarning(result.unreceived)}\n`);
    if (values.trace !== undefined && result.trace) {
      await writeFile(values.trace, JSON.stringify(result.trace));
      io.stderr.write(`lambda-mpi: wrote the job's timeline to ${values.trace} (open it in https://ui.perfetto.dev or chrome://tracing)\n`);
    }
    if (reportFile !== undefined) {
      const [{ renderJobReport }, { reportOfFinishedJob }] = await Promise.all([import('../../report/job-report-page.ts'), import('../../report/run-result-report.ts')]);
      await writeReportFile(reportFile, renderJobReport(reportOfFinishedJob(result, { title, placement, notes: [LOCAL_COST_NOTE] })), io);
    }
    return EXIT_OK;
  } catch (error) {
    io.stderr.write(`lambda-mpi: ${describeFailure(error)}\n`);
    // A job that ran and failed has a report; one refused before it started (exit 2) has none.
    if (reportFile !== undefined && exitCodeOf(error) === EXIT_FAILED) {
      const jobId = (error as { jobId?: unknown }).jobId;
      const { renderJobReport } = await import('../../report/job-report-page.ts');
      await writeReportFile(reportFile, renderJobReport({
        title, placement, jobId: typeof jobId === 'string' ? jobId : '(none)', size, status: 'failed', error: describeFailure(error), output: printed,
      }), io);
    }
    return exitCodeOf(error);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Ranks in this thread (--inline): the user's program file is loaded here (through tsx when installed). */
async function runInline(target: string, options: RunLocalOptions): Promise<RunResult> {
  await readyForProgramFile(target);
  const [{ resolveProgram }, { runLocal }] = await Promise.all([import('../../runtime/program-source.ts'), import('../../runtime/run-local.ts')]);
  return runLocal((await resolveProgram(target)).program, options);
}

/** --generation-seconds and --retries, refused in their own words. */
function generationFlags(seconds: string | undefined, retries: string | undefined): { generationSeconds?: number; retries?: number } {
  const generationSeconds = seconds === undefined ? undefined : Number(seconds);
  if (generationSeconds !== undefined && !(Number.isFinite(generationSeconds) && generationSeconds > 0)) {
    throw new UsageError(`--generation-seconds must be a positive number of seconds; received ${JSON.stringify(seconds)}`);
  }
  const count = retries === undefined ? undefined : Number(retries);
  if (count !== undefined && !(Number.isInteger(count) && count >= 0 && count <= MAX_RETRIES)) {
    throw new UsageError(`--retries must be a whole number from 0 to ${MAX_RETRIES}; received ${JSON.stringify(retries)}`);
  }
  return { ...(generationSeconds === undefined ? {} : { generationSeconds }), ...(count === undefined ? {} : { retries: count }) };
}
