import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/mpi/errors.ts';
import { defineProgram } from '../../src/mpi/program.ts';
import { jobSessionPolicy } from '../../src/service/job-session-policy.ts';
import { lambdaConfigFromEnv } from '../../src/service/lambda-config.ts';
import { assumeJobSession, underJobSession, withCredentialsInEnvironment } from '../../src/service/program-credentials.ts';
import { createAwsClients } from '../../src/transport/aws/clients.ts';

/**
 * A job's program gets the job's narrowed session in its environment while lambda-mpi's own
 * clients keep the function's credentials. STS here is a small server answering AssumeRole as
 * STS does, so the request the real SDK sends (who signed it, which role, which policy) is seen.
 */
const FUNCTION = { AWS_ACCESS_KEY_ID: 'AKIAFUNCTIONROLE', AWS_SECRET_ACCESS_KEY: 'function-secret', AWS_SESSION_TOKEN: 'function-token' };
const JOB_ROLE = 'arn:aws:iam::123456789012:role/lambda-mpi-prod-us-east-1-job';
const jobId = 'aaaaaaaaaaaaaaaaaaaaaaaaaa';
const stageEnv = { LAMBDA_MPI_BUCKET: 'lambda-mpi-prod-jobbucket', LAMBDA_MPI_QUEUE_PREFIX: 'lambda-mpi-prod', LAMBDA_MPI_WORKER_FUNCTION: 'w', AWS_REGION: 'us-east-1', ...FUNCTION };

let sts: Server;
const assumeRequests: Array<{ params: URLSearchParams; signedBy: string | undefined }> = [];
const saved = { ...process.env };

beforeAll(async () => {
  sts = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      assumeRequests.push({ params, signedBy: /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] });
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>
        <AccessKeyId>ASIAJOBSESSION</AccessKeyId><SecretAccessKey>session-secret</SecretAccessKey><SessionToken>session-token</SessionToken>
        <Expiration>2030-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId><Arn>${JOB_ROLE}</Arn></AssumedRoleUser></AssumeRoleResult>
        <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`);
    });
  });
  await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, stageEnv, { AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${(sts.address() as AddressInfo).port}` });
});

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await new Promise((resolve) => sts.close(resolve));
});

describe('a program on a stage with a job role', () => {
  it('runs with the job\'s session in its default clients; lambda-mpi\'s own clients keep the function\'s credentials', async () => {
    const config = lambdaConfigFromEnv({ ...process.env, LAMBDA_MPI_JOB_ROLE_ARN: JOB_ROLE });
    const runtime = createAwsClients(config.aws);
    const seen: Record<string, string> = {};
    const program = underJobSession(defineProgram(async () => {
      seen.programS3 = (await new S3Client({}).config.credentials()).accessKeyId;
      seen.programSqs = (await new SQSClient({}).config.credentials()).accessKeyId;
      // lambda-mpi's clients, used while the program runs (a send, a heartbeat), and made anew.
      seen.runtimeS3 = (await runtime.s3.config.credentials()).accessKeyId;
      seen.runtimeNew = (await createAwsClients(config.aws).sqs.config.credentials()).accessKeyId;
      return 'done';
    }), config, jobId, 3);
    try {
      expect(await program.main({} as never, undefined)).toBe('done');
    } finally {
      runtime.destroy();
    }
    expect(seen).toEqual({ programS3: 'ASIAJOBSESSION', programSqs: 'ASIAJOBSESSION', runtimeS3: FUNCTION.AWS_ACCESS_KEY_ID, runtimeNew: FUNCTION.AWS_ACCESS_KEY_ID });
    // The environment is the function's again once the program ended.
    expect(process.env.AWS_ACCESS_KEY_ID).toBe(FUNCTION.AWS_ACCESS_KEY_ID);
    expect(process.env.AWS_SESSION_TOKEN).toBe(FUNCTION.AWS_SESSION_TOKEN);
  });

  it('asks STS, signed with the function\'s credentials, for the job role narrowed to this job alone', async () => {
    const config = lambdaConfigFromEnv({ ...process.env, LAMBDA_MPI_JOB_ROLE_ARN: JOB_ROLE });
    const before = assumeRequests.length;
    await assumeJobSession(config, jobId, 7);
    const [request] = assumeRequests.slice(before);
    expect(request!.signedBy).toBe(FUNCTION.AWS_ACCESS_KEY_ID);
    expect(request!.params.get('Action')).toBe('AssumeRole');
    expect(request!.params.get('RoleArn')).toBe(JOB_ROLE);
    expect(request!.params.get('RoleSessionName')).toBe(`${jobId}-7`);
    expect(JSON.parse(request!.params.get('Policy')!)).toEqual(jobSessionPolicy({ queuePrefix: 'lambda-mpi-prod', bucket: 'lambda-mpi-prod-jobbucket' }, jobId));
  });

  it('the environment is put back even when the program throws', async () => {
    await expect(withCredentialsInEnvironment({ accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T' }, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(process.env.AWS_ACCESS_KEY_ID).toBe(FUNCTION.AWS_ACCESS_KEY_ID);
    expect(process.env.AWS_CREDENTIAL_EXPIRATION).toBeUndefined();
  });
});

describe('where there is no job role', () => {
  it('the local stack (LAMBDA_MPI_JOB_ROLE_ARN empty): the program runs as it is, and the clients use the SDK\'s chain', () => {
    const config = lambdaConfigFromEnv({ ...process.env, LAMBDA_MPI_JOB_ROLE_ARN: '' });
    const program = defineProgram(async () => 1);
    expect(underJobSession(program, config, jobId, 0)).toBe(program);
    expect(config.aws.credentials).toBeUndefined();
  });

  it('a malformed job role is a ConfigurationError naming the variable', () => {
    expect(() => lambdaConfigFromEnv({ ...process.env, LAMBDA_MPI_JOB_ROLE_ARN: '[object Object]' })).toThrow(ConfigurationError);
    expect(() => lambdaConfigFromEnv({ ...process.env, LAMBDA_MPI_JOB_ROLE_ARN: '[object Object]' })).toThrow(/LAMBDA_MPI_JOB_ROLE_ARN/);
  });
});
