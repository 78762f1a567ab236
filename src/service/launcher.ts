import { GetAccountSettingsCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsSettings } from '../config.ts';
import { TransportError } from '../mpi/errors.ts';
import type { RequestMeter } from '../transport/aws/request-meter.ts';
import type { WorkerEvent } from './worker-event.ts';

/**
 * Starts worker ranks with asynchronous invocations (InvocationType Event): Lambda queues the
 * event and answers at once, so a parent never waits for its children to run.
 */
export async function launchWorkers(lambda: LambdaClient, functionName: string, events: WorkerEvent[]): Promise<void> {
  const results = await Promise.allSettled(events.map((event) =>
    lambda.send(new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify({ ...event, invokedAt: Date.now() })),
    })),
  ));
  const failed = results
    .map((result, i) => ({ result, rank: events[i]!.rank }))
    .filter((r): r is { result: PromiseRejectedResult; rank: number } => r.result.status === 'rejected');
  if (failed.length > 0) {
    const first = failed[0]!.result.reason as Error;
    throw new TransportError(
      'Lambda Invoke',
      `could not start rank${failed.length > 1 ? 's' : ''} ${failed.map((f) => f.rank).join(', ')} (function ${functionName}): ${first.message}`,
      { cause: first },
    );
  }
}

/**
 * The concurrent executions the account has free for functions without reserved concurrency
 * (ours), or undefined when it cannot be read (the local emulator has no such API).
 */
export async function freeConcurrency(lambda: LambdaClient): Promise<number | undefined> {
  try {
    const settings = await lambda.send(new GetAccountSettingsCommand({}));
    return settings.AccountLimit?.UnreservedConcurrentExecutions;
  } catch (error) {
    console.warn(`lambda-mpi run: the account's Lambda concurrency could not be read (${(error as Error).message}); the job is not checked against it`);
    return undefined;
  }
}

/**
 * The client that starts ranks; its endpoint comes from the SDK's sources (AWS_ENDPOINT_URL_LAMBDA).
 * With a meter, its invocations are counted with the job's other requests.
 */
export function createLambdaClient(settings: AwsSettings, meter?: RequestMeter): LambdaClient {
  const client = new LambdaClient({ ...(settings.region ? { region: settings.region } : {}), ...(settings.credentials ? { credentials: settings.credentials } : {}), maxAttempts: 3 });
  meter?.attach(client, 'lambda');
  return client;
}
