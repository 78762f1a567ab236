import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../../src/index.ts';
import { newJobId } from '../../src/runtime/job-id.ts';
import { JobKey } from '../../src/transport/aws/job-key.ts';
import { localLambdaClient, localS3Client } from '../../tools/local-aws/clients.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { startOfflineStack, type OfflineStack } from '../../tools/local-aws/offline-stack.ts';
import { findLeftovers } from '../aws/leftovers.ts';

/**
 * The whole service end to end on serverless-offline: API Gateway and Lambda emulated, S3 and
 * SQS as real local servers, every rank a real Lambda invocation. Started once for the file.
 */
let stack: OfflineStack;
let lambda: LambdaClient;
const jobIds: string[] = [];

interface Invocation {
  functionError?: string;
  body: any;
}

async function invoke(name: 'run' | 'worker', payload: unknown): Promise<Invocation> {
  const response = await lambda.send(new InvokeCommand({ FunctionName: stack.functionName(name), Payload: Buffer.from(JSON.stringify(payload)) }));
  const body = JSON.parse(Buffer.from(response.Payload ?? []).toString() || 'null');
  if (body?.jobId) jobIds.push(body.jobId);
  return { ...(response.FunctionError ? { functionError: response.FunctionError } : {}), body };
}

async function http(method: string, path: string, body?: unknown, key: string | null = stack.apiKey): Promise<{ status: number; body: any }> {
  const response = await fetch(`${stack.httpEndpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  if ((parsed as { jobId?: string })?.jobId) jobIds.push((parsed as { jobId: string }).jobId);
  return { status: response.status, body: parsed };
}

beforeAll(async () => {
  const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startOfflineStack({ httpPort, lambdaPort, s3Port, sqsPort, stage: 'e2e', params: { diagnostics: 'true' } });
  lambda = localLambdaClient(stack.lambdaEndpoint);
}, 120_000);

afterAll(async () => {
  lambda?.destroy();
  await stack?.stop();
}, 60_000);

/** Polls `condition` every 100 ms until it holds; fails after two minutes. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within two minutes');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether an object exists in the local stack's job bucket. */
async function exists(key: string): Promise<boolean> {
  const s3 = localS3Client(stack.s3Endpoint);
  try {
    await s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
    return true;
  } catch {
    return false;
  } finally {
    s3.destroy();
  }
}

describe('sls invoke -f run: the seed programs and π as real Lambda invocations', () => {
  it('hello on 3 ranks: every rank introduces itself from its Lambda', async () => {
    const r = await invoke('run', { program: 'hello', size: 3 });
    expect(r.functionError).toBeUndefined();
    expect(r.body.output.map((l: { line: string }) => l.line.replace(/processor .*/, 'processor X')).sort()).toEqual(
      [0, 1, 2].map((rank) => `Hello. This is rank ${rank} of 3 on processor X`),
    );
  });

  it('sendrecv on 2 ranks: rank 1 prints fred', async () => {
    const r = await invoke('run', { program: 'sendrecv', size: 2 });
    expect(r.body.output).toEqual([{ rank: 1, stream: 'stdout', line: 'fred' }]);
    expect(r.body.results).toEqual([null, 'fred']);
  });

  it('reduce on 3 ranks: rank 0 prints [3.]', async () => {
    const r = await invoke('run', { program: 'reduce', size: 3 });
    expect(r.body.output).toEqual([{ rank: 0, stream: 'stdout', line: '[3.]' }]);
    expect(r.body.result).toEqual([3]);
  });

  it('pi on 8 ranks gives exactly the answer of the in-process run (the transport does not matter)', async () => {
    const input = { samples: 400_000, seed: 11 };
    const [onLambda, inProcess] = await Promise.all([invoke('run', { program: 'pi', size: 8, input }), runLocal('pi', { size: 8, input })]);
    expect(onLambda.body.result).toEqual(inProcess.result);
    expect(onLambda.body.timings.ranks).toHaveLength(8);
  });

  it('pi on 32 ranks, started as a tree of invocations', async () => {
    const input = { samples: 320_000, seed: 5 };
    const r = await invoke('run', { program: 'pi', size: 32, input, timeoutSeconds: 120 });
    expect(r.functionError, JSON.stringify(r.body)).toBeUndefined();
    expect(r.body.result).toEqual((await runLocal('pi', { size: 32, input })).result);
    expect(r.body.results).toHaveLength(32);
  }, 150_000);

  it('two jobs at once stay isolated', async () => {
    const [a, b] = await Promise.all([
      invoke('run', { program: 'pi', size: 4, input: { samples: 100_000, seed: 1 } }),
      invoke('run', { program: 'pi', size: 4, input: { samples: 100_000, seed: 2 } }),
    ]);
    expect(a.body.jobId).not.toBe(b.body.jobId);
    expect(a.body.result).toEqual((await runLocal('pi', { size: 4, input: { samples: 100_000, seed: 1 } })).result);
    expect(b.body.result).toEqual((await runLocal('pi', { size: 4, input: { samples: 100_000, seed: 2 } })).result);
  });

  it('a rank that throws fails the job fast with an error naming the rank', async () => {
    // The other ranks are released at once; a job that waited for its deadline would outlive this test.
    const r = await invoke('run', { program: 'fail-rank', size: 4, input: { rank: 2, message: 'disk full' }, timeoutSeconds: 110 });
    expect(r.functionError).toBeDefined();
    expect(r.body.errorMessage).toBe('rank 2 failed: Error: disk full');
    // The error's type heads its trace (serverless-offline reports every errorType as "Error").
    expect(r.body.trace[0]).toBe('RankFailedError: rank 2 failed: Error: disk full');
    expect(r.body.trace.join('\n')).toContain('--- stack of rank 2 ---');
  });

  it('a worker that dies without a word fails the job in seconds, naming the lost rank', async () => {
    const started = Date.now();
    const r = await invoke('run', { program: 'crash-rank', size: 3, input: { rank: 2 }, timeoutSeconds: 100 });
    expect(r.body.trace[0]).toMatch(/^RankLostError: /);
    expect(r.body.errorMessage).toMatch(/^rank 2 stopped answering: its heartbeats stopped at \S+Z while rank 0 was caught up with its queue/);
    expect(Date.now() - started).toBeLessThan(50_000);
  });

  it('refuses bad input before anything starts', async () => {
    const r = await invoke('run', { program: 'nope', size: 2 });
    expect(r.body.trace[0]).toMatch(/^InvalidArgumentError: /);
    expect(r.body.errorMessage).toMatch(/program must be one of the bundled programs/);
  });
});

describe('starting a rank twice does nothing the second time', () => {
  it('a duplicated start of rank 0 and of a worker of a running job are ignored', async () => {
    const jobId = newJobId();
    const input = { samples: 200_000_000 };
    const workerEvent = {
      kind: 'lambda-mpi/worker', jobId, rank: 1, size: 2, program: 'pi', timeoutMs: 120_000, deadline: Date.now() + 120_000,
      queueUrlBase: `${stack.sqsEndpoint}/000000000000/lambda-mpi-e2e-${jobId}-`, jobKey: JobKey.generate().toText(), fanout: 8, input,
    };
    const job = invoke('run', { jobId, program: 'pi', size: 2, input, timeoutSeconds: 120 });
    // Once both ranks have claimed their start (and while the job still runs), start both again.
    await until(async () => (await exists(`runs/${jobId}.started`)) && (await exists(`jobs/${jobId}/claims/1`)));
    const [duplicateRun, duplicateWorker] = await Promise.all([
      invoke('run', { jobId, program: 'pi', size: 2, input }),
      invoke('worker', workerEvent),
    ]);
    expect(duplicateRun.body).toEqual({ jobId, status: 'duplicate-start-ignored' });
    expect(duplicateWorker.body).toEqual({ rank: 1, outcome: 'ignored: duplicate start' });
    expect((await job).body.result.samples).toBe(input.samples);
    // After the job: a late duplicate of rank 0 or of a worker still does nothing.
    expect((await invoke('run', { jobId, program: 'pi', size: 2, input })).body).toEqual({ jobId, status: 'duplicate-start-ignored' });
    expect((await invoke('worker', workerEvent)).body).toEqual({ rank: 1, outcome: 'ignored: the job is over (its queues are gone)' });
  }, 150_000);
});

describe('POST /runs and GET /runs/{jobId} through API Gateway', () => {
  it('answers 200 with the result when the job ends within the wait', async () => {
    const r = await http('POST', '/runs', { program: 'reduce', size: 3 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'succeeded', result: [3], output: [{ rank: 0, stream: 'stdout', line: '[3.]' }] });
    // The AWS transport was used: the job's requests are there, rank 0's Invoke calls included.
    expect(r.body.requests.sqs.SendMessageBatch.requests).toBeGreaterThan(0);
    expect(r.body.requests.lambda.Invoke.requests).toBeGreaterThan(0);
    const again = await http('GET', `/runs/${r.body.jobId}`);
    expect(again).toMatchObject({ status: 200, body: { status: 'succeeded', result: [3], requests: r.body.requests } });
  });

  it.each([
    ['hello', 3, (body: any) => expect([...body.output].sort((a, b) => a.rank - b.rank)).toEqual([0, 1, 2].map((rank) => (
      { rank, stream: 'stdout', line: expect.stringMatching(new RegExp(`^Hello\\. This is rank ${rank} of 3 on processor \\S+$`)) }
    )))],
    ['sendrecv', 2, (body: any) => expect(body.output).toEqual([{ rank: 1, stream: 'stdout', line: 'fred' }])],
    ['reduce', 3, (body: any) => expect(body.result).toEqual([3])],
    ['pi', 8, async (body: any) => expect(body.result).toEqual((await runLocal('pi', { size: 8, input: { samples: 80_000 } })).result)],
  ] as const)('runs %s on %i ranks over HTTP', async (program, size, check) => {
    const r = await http('POST', '/runs', { program, size, input: { samples: 80_000 } });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('succeeded');
    await check(r.body);
  });

  it('answers 202 with the job id when it does not, then GET gives running and later the result', { timeout: 150_000 }, async () => {
    const r = await http('POST', '/runs', { program: 'pi', size: 4, input: { samples: 40_000_000, seed: 3 }, waitSeconds: 0 });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ status: 'running', jobId: expect.stringMatching(/^[a-z2-7]{26}$/) });
    const first = await http('GET', `/runs/${r.body.jobId}`);
    expect(first.body.status).toBe('running');
    let final: any;
    await until(async () => {
      const got = await http('GET', `/runs/${r.body.jobId}`);
      if (got.body.status !== 'running') final = got.body;
      return final !== undefined;
    });
    expect(final).toMatchObject({ status: 'succeeded', result: (await runLocal('pi', { size: 4, input: { samples: 40_000_000, seed: 3 } })).result });
  });

  it('reports a failed job with its error', async () => {
    const r = await http('POST', '/runs', { program: 'fail-rank', size: 3, input: { rank: 1, message: 'bad data' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'failed', error: { name: 'RankFailedError', rank: 1, message: 'rank 1 failed: Error: bad data' } });
  });

  it('records a job the run function refused, so its record never stays "running"', async () => {
    const jobId = newJobId();
    const r = await invoke('run', { jobId, mode: 'async', program: 'nope', size: 2 });
    expect(r.functionError).toBeUndefined(); // an asynchronous start never throws
    const record = await http('GET', `/runs/${jobId}`);
    expect(record.status).toBe(200);
    expect(record.body).toMatchObject({ status: 'failed', error: { name: 'InvalidArgumentError', message: expect.stringMatching(/program must be one of the bundled programs/) } });
  });

  it('refuses a request without the API key with 403', async () => {
    expect((await http('POST', '/runs', { program: 'hello', size: 2 }, null)).status).toBe(403);
    expect((await http('GET', `/runs/${newJobId()}`, undefined, 'wrong-key')).status).toBe(403);
  });

  it.each([
    ['a body that is not JSON', '{"program": "pi", size: 2', /body is not valid JSON/],
    ['an empty body', '', /body is missing/],
    ['a JSON array', '[1,2]', /body must be a JSON object/],
    ['no program', { size: 2 }, /program is required/],
    ['an unknown program', { program: 'nope', size: 2 }, /program must be one of the bundled programs \(hello, sendrecv, reduce, pi, .*\) or "sha256:<64 lower-case hex digits>", the id of a program shipped with `lambda-mpi run <file> --stage STAGE`/],
    ['size 0', { program: 'pi', size: 0 }, /size must be an integer in 1\.\.10000; received 0/],
    ['size 20000', { program: 'pi', size: 20000 }, /size must be an integer in 1\.\.10000; received 20000/],
    ['a size beyond the stage\'s largest job', { program: 'pi', size: 64 }, /size must be an integer in 1\.\.32 \(this stage's largest job: its param maxRanks\); received 64/],
    ['size "4"', { program: 'pi', size: '4' }, /received "4"/],
    ['a negative timeout', { program: 'pi', size: 2, timeoutSeconds: -1 }, /timeoutSeconds must be a number of seconds in \(0, \d+\]/],
    ['a timeout beyond the run function\'s', { program: 'pi', size: 2, timeoutSeconds: 100_000 }, /timeoutSeconds must be a number of seconds in \(0, \d+\]/],
    ['a wait beyond API Gateway\'s', { program: 'pi', size: 2, waitSeconds: 60 }, /waitSeconds must be a number of seconds in \[0, 25\]/],
    ['an unknown field', { program: 'pi', size: 2, ranks: 4 }, /ranks is not a field of a job request; the fields are program, size, input, timeoutSeconds, waitSeconds/],
  ])('answers 400 to %s, saying what is allowed', async (_name, body, message) => {
    const r = await http('POST', '/runs', body);
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(message);
  });

  it('answers 400 to a malformed job id and 404 to an unknown one', async () => {
    const malformed = await http('GET', '/runs/not-a-job');
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/jobId must be a job id as POST \/runs returned it/);
    expect((await http('GET', `/runs/${newJobId()}`)).status).toBe(404);
  });
});

describe('the user\'s own command', () => {
  it('sls invoke -f run --data … reaches the local stack through AWS_ENDPOINT_URL_LAMBDA', async () => {
    const invocation = promisify(execFile)(process.execPath, [
      'node_modules/serverless/bin/serverless.js', 'invoke', '-f', 'run', '--stage', stack.stage,
      '--data', JSON.stringify({ program: 'sendrecv', size: 2 }),
    ], {
      env: { ...process.env, AWS_ENDPOINT_URL_LAMBDA: stack.lambdaEndpoint, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1', SLS_TELEMETRY_DISABLED: '1' },
      timeout: 90_000,
    });
    const { stdout } = await invocation.catch((error) => {
      throw new Error(`sls invoke failed: ${error.message}\nstdout: ${error.stdout}\nstderr: ${error.stderr}`);
    });
    const result = JSON.parse(stdout.slice(stdout.indexOf('{')));
    jobIds.push(result.jobId);
    expect(result.output).toEqual([{ rank: 1, stream: 'stdout', line: 'fred' }]);
    expect(result.requests.sqs.SendMessageBatch.requests).toBeGreaterThan(0);
  }, 120_000);
});

describe('cleanup', () => {
  it('leaves no queue and no job object behind, failed jobs included', async () => {
    expect(jobIds.length).toBeGreaterThan(10);
    const left = await findLeftovers(stack, 'lambda-mpi-e2e', ['jobs/']);
    expect(left).toEqual({ queues: [], objects: [] });
  });
});
