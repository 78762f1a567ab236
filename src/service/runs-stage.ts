import { InvokeCommand } from '@aws-sdk/client-lambda';
import { createAwsClients } from '../transport/aws/clients.ts';
import type { RunInvocation } from '../job-store/job-request.ts';
import { storeInput, type InputReference } from '../job-store/job-input.ts';
import { assertProgramShipped } from './job-program.ts';
import type { LambdaConfig } from './lambda-config.ts';
import { createLambdaClient } from './launcher.ts';
import { readJobRecord, writeJobRecord, type JobRecord } from '../job-store/job-record.ts';

/**
 * What POST /runs does with its stage: check a shipped program, keep the job's record, store a
 * large input and start the run function. One object, so the handler can bound each call by its
 * answer's budget (answer-budget.ts) and a test can stand in a stage that is slow.
 */
export interface RunsStage {
  assertProgramShipped(program: string): Promise<void>;
  writeJobRecord(status: JobRecord): Promise<void>;
  readJobRecord(jobId: string): Promise<JobRecord | undefined>;
  storeInput(jobId: string, input: unknown): Promise<InputReference>;
  /** An asynchronous (Event) invocation of the run function: resolves once Lambda queued it. */
  invokeRun(payload: RunInvocation): Promise<void>;
  destroy(): void;
}

/** The deployed stage (or the local one), through its S3 bucket and the Lambda API. */
export function openRunsStage(config: LambdaConfig): RunsStage {
  const clients = createAwsClients(config.aws);
  const lambda = createLambdaClient(config.aws);
  const { bucket } = config.aws;
  return {
    assertProgramShipped: (program) => assertProgramShipped(program, clients.s3, bucket, config.stage),
    writeJobRecord: (status) => writeJobRecord(clients.s3, bucket, status),
    readJobRecord: (jobId) => readJobRecord(clients.s3, bucket, jobId),
    storeInput: (jobId, input) => storeInput(clients.s3, bucket, jobId, input),
    async invokeRun(payload) {
      await lambda.send(new InvokeCommand({ FunctionName: config.runFunction, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
    },
    destroy() {
      clients.destroy();
      lambda.destroy();
    },
  };
}
