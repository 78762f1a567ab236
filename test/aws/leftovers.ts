import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
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
  const sqs = new SQSClient({ endpoint: local.sqsEndpoint, region: local.region, credentials: local.credentials });
  const s3 = new S3Client({ endpoint: local.s3Endpoint, region: local.region, credentials: local.credentials, forcePathStyle: true });
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
