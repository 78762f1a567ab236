import { ConfigurationError, InvalidArgumentError } from '../../mpi/errors.ts';
import { assertJobSize } from '../../mpi/validation.ts';
import type { OutputLine } from '../../runtime/output.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from '../command.ts';
import { ProgramBundleError, StageNotDeployedError } from './errors.ts';
import { UnknownShippedProgramError, runOnStage } from './run-on-stage.ts';
import { createCloudFormationClient, createStageClients } from './stage-clients.ts';

export interface StageRunArguments {
  program: string;
  size: number;
  input?: unknown;
  timeoutSeconds?: number;
  stage: string;
  region?: string;
  tagOutput: boolean;
  printResult: boolean;
}

/** Refusals that are bad usage (exit 2): the file, the bundle, the stage, the program's id. */
const USAGE_ERRORS = [InvalidArgumentError, ProgramBundleError, StageNotDeployedError, UnknownShippedProgramError, ConfigurationError];

/**
 * `lambda-mpi run <program> -n N --stage S`: the job runs on the stage's functions; this prints
 * its output and outcome as a local run would (exit 0, 1 when the job failed, 2 for bad usage),
 * with progress (bundled, shipped, the job's id) on stderr.
 */
export async function runOnStageCommand(args: StageRunArguments, io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const progress = (line: string) => io.stderr.write(`lambda-mpi: ${line}\n`);
  const print = (line: OutputLine) => (line.stream === 'stderr' ? io.stderr : io.stdout).write(`${args.tagOutput ? `[${line.rank}] ` : ''}${line.line}\n`);
  const region = args.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  const clients = createStageClients({
    ...(region ? { region } : {}),
    // A custom S3 endpoint is a local server in practice: those need path-style addressing.
    forcePathStyle: env.LAMBDA_MPI_S3_PATH_STYLE ? env.LAMBDA_MPI_S3_PATH_STYLE === 'true' : Boolean(env.AWS_ENDPOINT_URL_S3),
  });
  try {
    assertJobSize(args.size);
    if (args.timeoutSeconds !== undefined && !(Number.isFinite(args.timeoutSeconds) && args.timeoutSeconds > 0)) {
      throw new InvalidArgumentError('--timeout', args.timeoutSeconds, 'a positive number of seconds');
    }
    const outcome = await runOnStage(
      {
        program: args.program,
        size: args.size,
        stage: args.stage,
        ...(args.input !== undefined ? { input: args.input } : {}),
        ...(args.timeoutSeconds !== undefined ? { timeoutSeconds: args.timeoutSeconds } : {}),
      },
      { onProgress: progress, onOutput: print },
      { env, clients, cloudFormation: () => createCloudFormationClient(region) },
    );
    if (outcome.status === 'succeeded') {
      if (args.printResult) io.stdout.write(`${JSON.stringify(outcome.result)}\n`);
      return EXIT_OK;
    }
    const { error } = outcome;
    io.stderr.write(`lambda-mpi: job ${outcome.jobId} ${error.refused ? 'was refused' : 'failed'}: ${error.message}\n`);
    if (error.stack && !error.refused) io.stderr.write(`${error.rank !== undefined ? `--- stack of rank ${error.rank} ---\n` : ''}${error.stack}\n`);
    return error.refused ? EXIT_USAGE : EXIT_FAILED;
  } catch (error) {
    io.stderr.write(`lambda-mpi: ${(error as Error).message}\n`);
    return USAGE_ERRORS.some((type) => error instanceof type) ? EXIT_USAGE : EXIT_FAILED;
  } finally {
    clients.destroy();
  }
}
