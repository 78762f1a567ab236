import { UsageError } from './command.ts';

/**
 * A stage names one deployment of the service: its CloudFormation stack (`lambda-mpi-<stage>`), its
 * functions (`lambda-mpi-<stage>-run`), its queues' prefix and, locally, its bucket
 * (`lambda-mpi-<stage>-local`), which S3 wants in lower case. 28 characters keep the queue prefix
 * within the 40 that the transport allows.
 */
const STAGE = /^[a-z][a-z0-9-]{0,27}$/;
/** An AWS region name such as us-east-1 or eu-west-2. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export function checkStage(value: string | undefined, flag = '--stage'): string {
  if (value === undefined) throw new UsageError(`missing ${flag} <stage>`);
  if (!STAGE.test(value)) throw new UsageError(`${flag} must be 1-28 lower-case letters, digits or '-', starting with a letter; received ${JSON.stringify(value)}`);
  return value;
}

export function checkRegion(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!REGION.test(value)) throw new UsageError(`--region must be an AWS region name such as us-east-1; received ${JSON.stringify(value)}`);
  return value;
}
