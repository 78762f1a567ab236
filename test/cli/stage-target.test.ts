import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/mpi/errors.ts';
import { StageNotDeployedError } from '../../src/cli/shipping/errors.ts';
import { findStageTarget } from '../../src/cli/shipping/stage-target.ts';

/**
 * Where `lambda-mpi run --stage S` ships to. On AWS: the outputs of the stack `lambda-mpi-S`. No
 * local CloudFormation exists, so a stand-in answers DescribeStacks over the real query protocol
 * for the stacks it knows, and with CloudFormation's own error for any other.
 */
const stacks: Record<string, { status: string; outputs: Record<string, string> }> = {
  'lambda-mpi-prod': { status: 'UPDATE_COMPLETE', outputs: { JobBucketName: 'lambda-mpi-prod-jobbucket-1a2b3c', RunFunctionName: 'lambda-mpi-prod-run' } },
  'lambda-mpi-old': { status: 'CREATE_COMPLETE', outputs: { JobBucketName: 'lambda-mpi-old-jobbucket-9z' } },
  'lambda-mpi-broken': { status: 'ROLLBACK_COMPLETE', outputs: {} },
};
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const name = new URLSearchParams(body).get('StackName') ?? '';
      const stack = stacks[name];
      res.setHeader('Content-Type', 'text/xml');
      if (!stack) {
        res.statusCode = 400;
        res.end(`<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${name} does not exist</Message></Error><RequestId>r1</RequestId></ErrorResponse>`);
        return;
      }
      const outputs = Object.entries(stack.outputs).map(([k, v]) => `<member><OutputKey>${k}</OutputKey><OutputValue>${v}</OutputValue></member>`).join('');
      res.end(`<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${name}</StackName><StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/1</StackId><CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>${stack.status}</StackStatus><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></DescribeStacksResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const cloudFormation = () => new CloudFormationClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

describe('finding a stage on AWS: its CloudFormation stack', () => {
  it('reads the bucket and the run function from the stack outputs', async () => {
    expect(await findStageTarget('prod', {}, cloudFormation)).toEqual({ stage: 'prod', bucket: 'lambda-mpi-prod-jobbucket-1a2b3c', runFunction: 'lambda-mpi-prod-run', foundIn: 'cloudformation' });
  });

  it('names the run function by convention when the stack has no RunFunctionName output', async () => {
    expect((await findStageTarget('old', {}, cloudFormation)).runFunction).toBe('lambda-mpi-old-run');
  });

  it('a stage without a stack is not deployed: the error names the stack and region and says to deploy', async () => {
    const error = await findStageTarget('ghost', {}, cloudFormation).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StageNotDeployedError);
    expect((error as Error).message).toBe('stage ghost is not deployed: no CloudFormation stack lambda-mpi-ghost in region eu-west-1; deploy it with `lambda-mpi deploy --stage ghost` (or start it locally with `lambda-mpi offline --stage ghost`)');
  });

  it('a stack that failed to create is not a deployment', async () => {
    await expect(findStageTarget('broken', {}, cloudFormation)).rejects.toThrow(/stage broken is not deployed: its CloudFormation stack lambda-mpi-broken is ROLLBACK_COMPLETE/);
  });
});

describe('finding a stage locally: the variables `lambda-mpi offline` exports', () => {
  const noStacks = () => {
    throw new Error('CloudFormation was asked');
  };

  it('takes the bucket and run function from them for their stage, without asking CloudFormation', async () => {
    const env = { LAMBDA_MPI_STAGE: 'local', LAMBDA_MPI_BUCKET: 'lambda-mpi-local-local' };
    expect(await findStageTarget('local', env, noStacks)).toEqual({ stage: 'local', bucket: 'lambda-mpi-local-local', runFunction: 'lambda-mpi-local-run', foundIn: 'environment' });
  });

  it('refuses another stage while they are set, saying how to reach it', async () => {
    const error = await findStageTarget('prod', { LAMBDA_MPI_STAGE: 'local', LAMBDA_MPI_BUCKET: 'b-local' }, noStacks).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/set up for the local stack of stage local .*not for --stage prod: use --stage local, or unset LAMBDA_MPI_STAGE, LAMBDA_MPI_BUCKET and the AWS_ENDPOINT_URL_\* variables/);
  });

  it('a stage variable without a bucket is refused; a bucket variable alone decides nothing', async () => {
    await expect(findStageTarget('local', { LAMBDA_MPI_STAGE: 'local' }, noStacks)).rejects.toThrow(/LAMBDA_MPI_BUCKET: is not set while LAMBDA_MPI_STAGE=local is/);
    expect((await findStageTarget('prod', { LAMBDA_MPI_BUCKET: 'some-bucket' }, cloudFormation)).foundIn).toBe('cloudformation');
  });
});
