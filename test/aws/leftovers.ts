import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { expect, inject, it } from 'vitest';
import type { RunResult } from '../../src/index.ts';
import { localS3Client, localSqsClient } from '../../tools/local-aws/clients.ts';
import type { LocalAwsContext } from './local-aws-context.ts';

export interface Leftovers {
  queues: string[];
  objects: string[];
}

/**
 * What jobs left behind: queues whose names start with `queuePrefix` that still exist, and
 * objects under `objectPrefixes`. ListQueues alone is not enough: like SQS, the local server keeps
 * listing a deleted queue for a while, so every listed queue is asked whether it still exists.
 */
export async function findLeftovers(local: LocalAwsContext, queuePrefix: string, objectPrefixes: string[]): Promise<Leftovers> {
  const sqs = localSqsClient(local.sqsEndpoint);
  const s3 = localS3Client(local.s3Endpoint);
  try {
    const listed = (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: queuePrefix, MaxResults: 1000 }))).QueueUrls ?? [];
    const queues: string[] = [];
    for (const url of listed) {
      try {
        await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
        queues.push(url);
      } catch (error) {
        if ((error as { name?: string }).name !== 'QueueDoesNotExist') throw error;
      }
    }
    const objects: string[] = [];
    for (const prefix of objectPrefixes) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: local.bucket, Prefix: prefix }));
      objects.push(...(page.Contents ?? []).map((o) => o.Key!));
    }
    return { queues, objects };
  } finally {
    sqs.destroy();
    s3.destroy();
  }
}

/** Awaits a job and adds its id to `jobIds`, also when it failed after it got one. */
export async function recordJobId<R>(jobIds: string[] | undefined, job: Promise<RunResult<R>>): Promise<RunResult<R>> {
  try {
    const result = await job;
    jobIds?.push(result.jobId);
    return result;
  } catch (error) {
    const jobId = (error as { jobId?: unknown }).jobId;
    if (typeof jobId === 'string') jobIds?.push(jobId);
    throw error;
  }
}

/**
 * Registers the test that fails when a job of this file left a queue or an object behind. Call it
 * after the file's other tests: tests of one file run one after another, so by then every job of
 * the file is over, and any queue under the file's own queue prefix is a leftover.
 */
export function itLeavesNothingBehind(queuePrefix: string, jobIds: string[]): void {
  it(`leaves no queue and no object of its jobs behind, failed jobs included (queues ${queuePrefix}-*)`, async () => {
    expect(jobIds.length, 'no job of this file was recorded, so the check would prove nothing').toBeGreaterThan(0);
    const left = await findLeftovers(inject('localAws'), `${queuePrefix}-`, jobIds.map((id) => `jobs/${id}/`));
    expect(left).toEqual({ queues: [], objects: [] });
  });
}
