import { isJobId } from '../../runtime/job-id.ts';
import { cancelJob } from '../../watch/cancel-job.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, noMorePositionals, parseCommandLine, type CliIo, type Command } from '../command.ts';
import { ConfigurationError } from '../../mpi/errors.ts';
import { StageNotDeployedError } from '../shipping/errors.ts';
import { createCloudFormationClient, createStageClients } from '../shipping/stage-clients.ts';
import { findStageTarget } from '../shipping/stage-target.ts';
import { checkRegion, checkStage } from '../stage.ts';

const usage = `Usage: lambda-mpi cancel <jobId> --stage <stage> [--region <region>]

Cancels a job running on a deployed stage (started by \`lambda-mpi run --stage\`, POST /runs or
sls invoke): every rank is told to stop, the job's messages (its queues, or its Valkey lists)
and objects are deleted, and its record says "cancelled". Waits until it does (a few seconds).
A job that already ended, or that the stage does not know, is said so.

Exit codes: 0 the job was cancelled, or had already ended; 1 the stage does not know the job, or
it did not stop within the wait; 2 bad usage.

Options:
  --stage <stage>      the stage the job runs on
  --region <region>    the stage's AWS region (default: the SDK's, e.g. AWS_REGION)
  -h, --help           show this help`;

export const cancelCommand: Command = {
  name: 'cancel',
  usage,
  run: cancel,
};

/** How long to wait for the job's record to say it stopped. */
const WAIT_MS = 20_000;

async function cancel(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { stage: { type: 'string' }, region: { type: 'string' } });
  const [jobId, ...rest] = positionals;
  if (!jobId) throw new UsageError('missing the job id (the CLI prints it when a job starts: "lambda-mpi: job <id>: …")');
  noMorePositionals(rest);
  if (!isJobId(jobId)) throw new UsageError(`the job id must be 26 letters a-z and digits 2-7, as lambda-mpi prints it; received ${JSON.stringify(jobId)}`);
  const stage = checkStage(values.stage);
  const env = process.env;
  const region = checkRegion(values.region) ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  const clients = createStageClients({
    ...(region ? { region } : {}),
    forcePathStyle: env.LAMBDA_MPI_S3_PATH_STYLE ? env.LAMBDA_MPI_S3_PATH_STYLE === 'true' : Boolean(env.AWS_ENDPOINT_URL_S3),
  });
  try {
    const target = await findStageTarget(stage, env, () => createCloudFormationClient(region));
    const outcome = await cancelJob(clients.s3, target.bucket, jobId, 'lambda-mpi cancel', { waitMs: WAIT_MS });
    switch (outcome.kind) {
      case 'cancelled':
        io.stdout.write(`job ${jobId} cancelled in ${(outcome.tookMs / 1000).toFixed(1)} s: every rank stopped, its messages and objects are deleted\n`);
        return EXIT_OK;
      case 'already-ended':
        io.stdout.write(`job ${jobId} already ${outcome.record.status === 'cancelled' ? 'was cancelled' : outcome.record.status}: nothing to cancel\n`);
        return EXIT_OK;
      case 'cancelling':
        io.stderr.write(`lambda-mpi: job ${jobId} was asked to stop, but its record did not say so within ${WAIT_MS / 1000} s; its rank 0 may be busy in a loop that never awaits. Check again with \`lambda-mpi cancel ${jobId} --stage ${stage}\`\n`);
        return EXIT_FAILED;
      case 'unknown':
        io.stderr.write(`lambda-mpi: stage ${stage} has no job ${jobId} (no s3://${target.bucket}/runs/${jobId}.json): nothing to cancel\n`);
        return EXIT_FAILED;
    }
  } catch (error) {
    io.stderr.write(`lambda-mpi cancel: ${(error as Error).message}\n`);
    return error instanceof StageNotDeployedError || error instanceof ConfigurationError ? EXIT_USAGE : EXIT_FAILED;
  } finally {
    clients.destroy();
  }
}
