import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleHttp, type HttpEvent } from '../../src/service/http-api.ts';
import { runLocation } from '../../src/service/http-location.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';

/**
 * The HTTP function's guards, with its storage out of reach (a port nothing listens on): a request
 * is checked whole before anything is written, and the service's own failures are answered
 * without their internals.
 */
const saved = { ...process.env };
beforeAll(async () => {
  Object.assign(process.env, {
    LAMBDA_MPI_BUCKET: 'lambda-mpi-test-bucket',
    LAMBDA_MPI_WORKER_FUNCTION: 'w',
    LAMBDA_MPI_RUN_FUNCTION: 'r',
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await freePort()}`,
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${await freePort()}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
  });
});
afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

const post = (body: string): HttpEvent => ({ httpMethod: 'POST', resource: '/runs', path: '/runs', body });

describe('POST /runs checks the whole request before it writes anything', () => {
  it('refuses an input nested 100,000 levels deep with 400 (not a stack overflow after the record is written)', async () => {
    const deep = `{"program":"pi","size":2,"input":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = await handleHttp(post(deep), 'req-1');
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).message).toBe('input is nested more than 1000 levels deep; at most 1000 are allowed; received an array of length 1');
  });

  it('refuses a body over the size limit with 400', async () => {
    const r = await handleHttp(post(`{"program":"pi","size":2,"input":"${'x'.repeat(7 * 1024 * 1024)}"}`), 'req-2');
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).message).toMatch(/^body is \d+ bytes; at most \d+ are allowed/);
  });
});

describe('the service\'s own failures', () => {
  it('storage out of reach: 503 that names no internals, only the request id to find them in the log', async () => {
    for (const event of [post('{"program":"pi","size":2}'), { httpMethod: 'GET', resource: '/runs/{jobId}', path: '/runs/aaaaaaaaaaaaaaaaaaaaaaaaaa', pathParameters: { jobId: 'aaaaaaaaaaaaaaaaaaaaaaaaaa' } }]) {
      const r = await handleHttp(event, 'req-3');
      expect(r.statusCode).toBe(503);
      expect(JSON.parse(r.body)).toEqual({ message: 'the service cannot reach its storage or functions right now; its log has the details (request req-3)', requestId: 'req-3' });
    }
  });
});

describe('the Location of a job started with 202', () => {
  const jobId = 'abcdefghijklmnopqrstuvwxyz';
  it('on API Gateway\'s own domain: the stage is in requestContext.path', () => {
    expect(runLocation({ path: '/runs', headers: { Host: 'abc.execute-api.us-east-1.amazonaws.com' }, requestContext: { path: '/prod/runs', stage: 'prod', domainName: 'abc.execute-api.us-east-1.amazonaws.com' } }, jobId))
      .toBe(`https://abc.execute-api.us-east-1.amazonaws.com/prod/runs/${jobId}`);
  });
  it('on serverless-offline: the stage is served in the URL but in neither path', () => {
    expect(runLocation({ path: '/runs', headers: { host: '127.0.0.1:3000' }, requestContext: { path: '/runs', stage: 'local', domainName: 'offlineContext_domainName' } }, jobId))
      .toBe(`http://127.0.0.1:3000/local/runs/${jobId}`);
  });
  it('on a custom domain, with or without a base path', () => {
    expect(runLocation({ path: '/runs', headers: { Host: 'mpi.example.com' }, requestContext: { path: '/v1/runs', stage: 'prod', domainName: 'mpi.example.com' } }, jobId))
      .toBe(`https://mpi.example.com/v1/runs/${jobId}`);
    expect(runLocation({ path: '/runs', headers: { Host: 'mpi.example.com' }, requestContext: { path: '/runs', stage: 'prod', domainName: 'mpi.example.com' } }, jobId))
      .toBe(`https://mpi.example.com/runs/${jobId}`);
  });
});
