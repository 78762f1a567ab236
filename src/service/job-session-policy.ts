import { jobPrefix } from '../job-store/keys.ts';

/**
 * The session policy a job's program runs under on AWS: the stage's job role (serverless.yml,
 * JobRole: the stage's queues, `jobs/*` and a listing of the bucket), narrowed to this job. A
 * session's permissions are the role's AND the session policy's, so the program's default SDK
 * clients reach only this job's queues (`<queuePrefix>-<jobId>-<rank>`, job-resources.ts) and
 * objects (`jobs/<jobId>/…`, claim-check.ts), and list only that prefix.
 *
 * Partition, region and account are wildcards here: the role's own policy pins them.
 */

/** The actions on a job's queues that its ranks use (none creates, deletes or lists queues). */
export const JOB_QUEUE_ACTIONS = ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'] as const;
export const JOB_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] as const;
/** What a program's File does on a data bucket (--data-bucket), and on its objects. */
export const DATA_BUCKET_ACTIONS = ['s3:ListBucket', 's3:ListBucketMultipartUploads'] as const;
export const DATA_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'] as const;
export { MAX_DATA_BUCKETS } from '../file/data-buckets.ts';

/**
 * STS refuses a session policy over 2,048 characters (as plain text; its packed size is checked
 * apart, against the same budget); this one is far below it for any stage a template can name.
 */
export const MAX_SESSION_POLICY_CHARS = 2048;

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: { StringLike: Record<string, string[]> };
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export function jobSessionPolicy(stage: { queuePrefix: string; bucket: string; dataBuckets?: readonly string[] }, jobId: string): PolicyDocument {
  const prefix = jobPrefix(jobId);
  const data = stage.dataBuckets ?? [];
  const dataStatements: PolicyStatement[] = data.length === 0 ? [] : [
    { Sid: 'DataBuckets', Effect: 'Allow', Action: [...DATA_BUCKET_ACTIONS], Resource: data.map((name) => `arn:*:s3:::${name}`) },
    { Sid: 'DataObjects', Effect: 'Allow', Action: [...DATA_OBJECT_ACTIONS], Resource: data.map((name) => `arn:*:s3:::${name}/*`) },
  ];
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ThisJobsQueues', Effect: 'Allow', Action: [...JOB_QUEUE_ACTIONS], Resource: `arn:*:sqs:*:*:${stage.queuePrefix}-${jobId}-*` },
      { Sid: 'ThisJobsObjects', Effect: 'Allow', Action: [...JOB_OBJECT_ACTIONS], Resource: `arn:*:s3:::${stage.bucket}/${prefix}*` },
      {
        Sid: 'ListThisJobsObjects',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: `arn:*:s3:::${stage.bucket}`,
        Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      },
      ...dataStatements,
    ],
  };
}

/** The policy as STS takes it; throws if it is too long (it cannot be, for names a stage allows). */
export function sessionPolicyText(policy: PolicyDocument): string {
  const text = JSON.stringify(policy);
  if (text.length > MAX_SESSION_POLICY_CHARS) throw new RangeError(`a job's session policy is ${text.length} characters; STS takes at most ${MAX_SESSION_POLICY_CHARS}`);
  return text;
}
