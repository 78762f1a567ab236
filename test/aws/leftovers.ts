import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { localS3Client, localSqsClient } from '../../tools/local-aws/clients.ts';
import type { LocalAwsContext } from './local-aws-context.ts';

export interface Leftovers {
  queues: string[];
  objects: string[];
}

/**
 * What jobs left behind: queues whose names start with `queuePrefix` that still exist, and
 * objects under `objectPrefix`. ListQueues alone is not enough: like SQS, the local server keeps
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
