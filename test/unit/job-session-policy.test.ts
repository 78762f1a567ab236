import { describe, expect, it } from 'vitest';
import { jobSessionPolicy, MAX_DATA_BUCKETS, MAX_SESSION_POLICY_CHARS, sessionPolicyText, type PolicyDocument } from '../../src/service/job-session-policy.ts';

/**
 * A job's session policy grants its program this job's queues and objects and nothing of any
 * other job's. Checked with a small evaluator of IAM's allow rules (wildcards `*` and `?` in
 * actions and resources, StringLike conditions on request keys): a request is allowed when some
 * statement matches its action, its resource and every condition.
 */
function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

function allows(policy: PolicyDocument, action: string, resource: string, context: Record<string, string> = {}): boolean {
  return policy.Statement.some((s) =>
    s.Effect === 'Allow'
    && s.Action.some((a) => glob(a).test(action))
    && [s.Resource].flat().some((r) => glob(r).test(resource))
    && Object.entries(s.Condition?.StringLike ?? {}).every(([key, patterns]) => key in context && patterns.some((p) => glob(p).test(context[key]!))));
}

const stage = { queuePrefix: 'lambda-mpi-prod', bucket: 'lambda-mpi-prod-jobbucket-1x2y3z' };
const mine = 'aaaaaaaaaaaaaaaaaaaaaaaaaa';
const other = 'baaaaaaaaaaaaaaaaaaaaaaaaa';
const queue = (jobId: string, rank: number, prefix = stage.queuePrefix) => `arn:aws:sqs:us-east-1:123456789012:${prefix}-${jobId}-${rank}`;
const object = (key: string, bucket = stage.bucket) => `arn:aws:s3:::${bucket}/${key}`;
const bucketArn = `arn:aws:s3:::${stage.bucket}`;
const policy = jobSessionPolicy(stage, mine);

describe('a job\'s session policy', () => {
  it('lets the program use its own job\'s queues, every rank\'s', () => {
    for (const rank of [0, 1, 17, 9999]) {
      for (const action of ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) {
        expect(allows(policy, action, queue(mine, rank)), `${action} rank ${rank}`).toBe(true);
      }
    }
  });

  it('grants nothing of another job\'s queues, and never lists, creates or deletes a queue', () => {
    for (const action of ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:PurgeQueue', 'sqs:GetQueueAttributes']) {
      expect(allows(policy, action, queue(other, 0)), action).toBe(false);
    }
    expect(allows(policy, 'sqs:ListQueues', 'arn:aws:sqs:us-east-1:123456789012:*')).toBe(false);
    expect(allows(policy, 'sqs:CreateQueue', queue(mine, 0))).toBe(false);
    expect(allows(policy, 'sqs:DeleteQueue', queue(mine, 0))).toBe(false);
    expect(allows(policy, 'sqs:SetQueueAttributes', queue(mine, 0))).toBe(false);
  });

  it('lets the program read, write and delete its own job\'s objects, and list only their prefix', () => {
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) expect(allows(policy, action, object(`jobs/${mine}/scratch/a.bin`)), action).toBe(true);
    expect(allows(policy, 's3:ListBucket', bucketArn, { 's3:prefix': `jobs/${mine}/` })).toBe(true);
  });

  it('grants nothing of another job\'s objects, of run records or shipped programs, nor a listing beyond its prefix', () => {
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
      for (const key of [`jobs/${other}/input.json`, `jobs/${other}/alive`, `runs/${other}.json`, `runs/${mine}.json`, 'programs/sha256-00.mjs', `jobs/${mine}`]) {
        expect(allows(policy, action, object(key)), `${action} ${key}`).toBe(false);
      }
    }
    for (const prefix of ['', 'jobs/', `jobs/${other}/`, 'runs/', `jobs/${mine.slice(0, 10)}`]) {
      expect(allows(policy, 's3:ListBucket', bucketArn, { 's3:prefix': prefix }), `list ${JSON.stringify(prefix)}`).toBe(false);
    }
    // A listing without a prefix carries no s3:prefix key at all.
    expect(allows(policy, 's3:ListBucket', bucketArn)).toBe(false);
    expect(allows(policy, 's3:GetObject', object(`jobs/${mine}/x`, 'another-bucket'))).toBe(false);
  });

  it('fits STS\'s limit for the longest names a stage can have', () => {
    // An SQS queue name has at most 80 characters: the prefix leaves room for "-<26-char id>-<rank>".
    const longest = jobSessionPolicy({ queuePrefix: 'q'.repeat(47), bucket: 'b'.repeat(63) }, mine);
    expect(sessionPolicyText(longest).length).toBeLessThan(MAX_SESSION_POLICY_CHARS);
  });
});

describe("a job's session policy with data buckets (--data-bucket)", () => {
  const data = ['my-input-data', 'my-results'];
  const withData = jobSessionPolicy({ ...stage, dataBuckets: data }, mine);

  it('lets the program read, write and multipart-upload the objects of exactly those buckets', () => {
    for (const bucket of data) {
      for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']) {
        expect(allows(withData, action, object('any/key.txt', bucket)), `${action} on ${bucket}`).toBe(true);
      }
      expect(allows(withData, 's3:ListBucket', `arn:aws:s3:::${bucket}`)).toBe(true);
    }
    for (const action of ['s3:GetObject', 's3:PutObject']) {
      expect(allows(withData, action, object('any/key.txt', 'someone-elses-bucket'))).toBe(false);
      expect(allows(withData, action, object('any/key.txt', 'my-results-backup'))).toBe(false);
      expect(allows(policy, action, object('any/key.txt', 'my-results'))).toBe(false);
    }
  });

  it(`fits STS's budget with the most data buckets a stage may name, each of the longest name`, () => {
    const longest = Array.from({ length: MAX_DATA_BUCKETS }, (_, i) => `${String(i).padStart(2, '0')}${'b'.repeat(61)}`);
    expect(() => sessionPolicyText(jobSessionPolicy({ ...stage, dataBuckets: longest }, mine))).not.toThrow();
  });
});
