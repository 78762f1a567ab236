import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ConfigurationError } from '../../mpi/errors.ts';
import type { StageClients } from './stage-clients.ts';
import { StageNotDeployedError } from './errors.ts';

/** Where a deployed stage takes shipped programs and jobs. */
export interface StageTarget {
  stage: string;
  /** The stage's job bucket; programs go under programs/. */
  bucket: string;
  /** The run function (rank 0) that a job is invoked on. */
  runFunction: string;
  /** How it was found: the local stack's variables, or the stage's CloudFormation stack. */
  foundIn: 'environment' | 'cloudformation';
}

/**
 * The variables `lambda-mpi offline` exports besides the SDK's own (AWS_ENDPOINT_URL_S3 …), named
 * as the functions' own configuration names them: which stage the local stack serves, and its
 * bucket. With them set, `--stage <that stage>` ships and runs there. The run function follows
 * from the stage's name (serverless.yml's custom.functionNames), as it does on AWS.
 */
export const STAGE_VARIABLES = {
  stage: 'LAMBDA_MPI_STAGE',
  bucket: 'LAMBDA_MPI_BUCKET',
} as const;

export const SERVICE = 'lambda-mpi';

/** The CloudFormation stack of a stage, as `sls deploy` names it. */
export function stackName(stage: string): string {
  return `${SERVICE}-${stage}`;
}

/** The run function of a stage, as serverless.yml names it. */
export function runFunctionName(stage: string): string {
  return `${SERVICE}-${stage}-run`;
}

/**
 * Finds the stage: from the local stack's variables when they name this stage, else from the
 * outputs of its CloudFormation stack. A stage that is not there is a StageNotDeployedError.
 */
export async function findStageTarget(stage: string, env: NodeJS.ProcessEnv, cloudFormation: () => CloudFormationClient): Promise<StageTarget> {
  const localStage = env[STAGE_VARIABLES.stage];
  const localBucket = env[STAGE_VARIABLES.bucket];
  // LAMBDA_MPI_STAGE says the shell is set up for one stage's endpoints (the local stack's);
  // LAMBDA_MPI_BUCKET alone may serve other uses (runLocal over SQS/S3) and decides nothing here.
  if (localStage) {
    if (!localBucket) {
      throw new ConfigurationError(STAGE_VARIABLES.bucket, `is not set while ${STAGE_VARIABLES.stage}=${localStage} is: set both, as \`lambda-mpi offline\` prints them, or neither`);
    }
    if (localStage !== stage) {
      throw new ConfigurationError(STAGE_VARIABLES.stage, `this shell is set up for the local stack of stage ${localStage} (as \`lambda-mpi offline\` exports it), not for --stage ${stage}: use --stage ${localStage}, or unset ${STAGE_VARIABLES.stage}, ${STAGE_VARIABLES.bucket} and the AWS_ENDPOINT_URL_* variables to reach stage ${stage} on AWS`);
    }
    return { stage, bucket: localBucket, runFunction: runFunctionName(stage), foundIn: 'environment' };
  }
  return fromCloudFormation(stage, cloudFormation());
}

async function fromCloudFormation(stage: string, client: CloudFormationClient): Promise<StageTarget> {
  const name = stackName(stage);
  let stack;
  try {
    stack = (await client.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    if (/^Region is missing/.test((error as Error).message)) {
      throw new ConfigurationError('region', `is not set, so stage ${stage} cannot be looked up on AWS: pass --region R or set AWS_REGION; for the local stack, ${pasteExportLines(stage)}`, { cause: error });
    }
    if (isMissingCredentials(error)) throw missingCredentials(stage, error);
    if ((error as { name?: string }).name === 'ValidationError' && /does not exist/.test((error as Error).message)) {
      throw new StageNotDeployedError(stage, `no CloudFormation stack ${name} in region ${await regionOf(client)}`, { cause: error });
    }
    throw error;
  } finally {
    client.destroy();
  }
  if (!stack) throw new StageNotDeployedError(stage, `no CloudFormation stack ${name}`);
  if (!/_COMPLETE$/.test(stack.StackStatus ?? '') || /^(DELETE|ROLLBACK)_COMPLETE$/.test(stack.StackStatus ?? '') || /^REVIEW_/.test(stack.StackStatus ?? '')) {
    throw new StageNotDeployedError(stage, `its CloudFormation stack ${name} is ${stack.StackStatus}`);
  }
  const output = (key: string) => stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  const bucket = output('JobBucketName');
  if (!bucket) throw new StageNotDeployedError(stage, `its CloudFormation stack ${name} has no JobBucketName output (deployed by a lambda-mpi that did not ship programs)`);
  return { stage, bucket, runFunction: output('RunFunctionName') || runFunctionName(stage), foundIn: 'cloudformation' };
}

/** The SDK found no credentials at all (no variables, profile, or role). */
function isMissingCredentials(error: unknown): boolean {
  return (error as { name?: string }).name === 'CredentialsProviderError' || /Could not load credentials from any providers/.test((error as Error).message ?? '');
}

/**
 * No credentials: most often a shell without the export lines of \`lambda-mpi offline\`, which
 * carry the local stack's endpoints and the credentials its servers accept, or a machine not
 * set up for AWS. Bad usage (exit 2), refused before any job is started.
 */
function missingCredentials(stage: string, cause: unknown): ConfigurationError {
  return new ConfigurationError('credentials', `are not set, so stage ${stage} cannot be reached: for the local stack, ${pasteExportLines(stage)}; ` +
    'for AWS, give the SDK credentials (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)', { cause });
}

/** What a shell needs for the local stack, naming the variables, so a user can tell which of them this shell lacks. */
function pasteExportLines(stage: string): string {
  return `run \`lambda-mpi offline --stage ${stage}\` and paste the export lines it prints into this shell (AWS_ENDPOINT_URL_LAMBDA, ` +
    `AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SQS, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, ${STAGE_VARIABLES.stage}, ${STAGE_VARIABLES.bucket} …)`;
}

async function regionOf(client: CloudFormationClient): Promise<string> {
  try {
    return await client.config.region();
  } catch {
    return '(unknown)';
  }
}

/**
 * Checks that the stage's bucket and run function exist, before anything is uploaded or invoked.
 * The function is asked with a DryRun invocation, which real Lambda answers without running it
 * (and which needs no permission beyond the one to invoke); serverless-offline refuses DryRun
 * (InvalidParameterValueException) for functions it has and answers ResourceNotFound for others.
 */
export async function assertStageDeployed(target: StageTarget, clients: StageClients): Promise<void> {
  const [bucket, fn] = await Promise.allSettled([
    clients.s3.send(new HeadBucketCommand({ Bucket: target.bucket })),
    dryRun(clients.lambda, target.runFunction),
  ]);
  for (const answer of [fn, bucket]) {
    if (answer.status === 'rejected' && isMissingCredentials(answer.reason)) throw missingCredentials(target.stage, answer.reason);
  }
  if (fn.status === 'rejected') {
    const e = fn.reason as { name?: string; code?: string; message?: string };
    if (e.name === 'ResourceNotFoundException') throw new StageNotDeployedError(target.stage, `no function ${target.runFunction}`, { cause: e });
    // Locally, a stack that was stopped: its endpoints are still in the shell, nothing listens.
    if (e.code === 'ECONNREFUSED' || e.name === 'ECONNREFUSED') throw new StageNotDeployedError(target.stage, `nothing answers at the Lambda endpoint (${e.message}); if it is the local stack, is \`lambda-mpi offline --stage ${target.stage}\` still running?`, { cause: e });
    throw fn.reason;
  }
  if (bucket.status === 'rejected') {
    const e = bucket.reason as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404) {
      throw new StageNotDeployedError(target.stage, `no bucket ${target.bucket}`, { cause: e });
    }
    throw bucket.reason;
  }
}

async function dryRun(lambda: LambdaClient, functionName: string): Promise<void> {
  try {
    await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'DryRun' }));
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e.name === 'InvalidParameterValueException' && /DryRun.*not supported/i.test(e.message ?? '')) return;
    throw error;
  }
}
