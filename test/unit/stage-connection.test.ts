import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { explainLostStage, lostConnection, StageVanishedError } from '../../src/cli/shipping/stage-connection.ts';
import type { StageTarget } from '../../src/cli/shipping/stage-target.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';

/** What the SDK throws when a Lambda endpoint refuses or drops the connection, with a real client. */
async function invokeError(endpoint: string): Promise<unknown> {
  const lambda = new LambdaClient({ endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    await lambda.send(new InvokeCommand({ FunctionName: 'f' }));
    throw new Error('the invocation did not fail');
  } catch (error) {
    return error;
  } finally {
    lambda.destroy();
  }
}

const local: StageTarget = { stage: 'local', bucket: 'b', runFunction: 'lambda-mpi-local-run', foundIn: 'environment' };
const jobId = 'abcdefghijklmnopqrstuvwxyz';

describe('a stage that stopped answering is told from one that answered with an error', () => {
  it('a refused connection (nothing listens) and a reset one (the server ends the socket: "socket hang up")', async () => {
    expect(lostConnection(await invokeError(`http://127.0.0.1:${await freePort()}`))).toBe('connection refused');
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const error = await invokeError(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      expect((error as Error).message).toBe('socket hang up');
      expect(lostConnection(error)).toBe('connection reset');
    } finally {
      server.close();
    }
  });

  it('an error the stage answered with is passed on as it is', async () => {
    const answered = Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    expect(await explainLostStage(answered, { target: local, jobId, env: {}, readStatus: async () => 'running' })).toBe(answered);
  });

  it('the job\'s fate: from its record when the storage still answers, unknown when it does not', async () => {
    const lost = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const env = { AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:3002' };
    const known = await explainLostStage(lost, { target: local, jobId, env, readStatus: async () => 'succeeded' });
    expect(known).toBeInstanceOf(StageVanishedError);
    expect(known).toMatchObject({ stage: 'local', endpoint: 'http://127.0.0.1:3002', jobId, fate: { known: true, status: 'succeeded' } });
    const refused = await invokeError(`http://127.0.0.1:${await freePort()}`);
    const unknown = await explainLostStage(lost, { target: local, jobId, env, readStatus: async () => { throw refused; } });
    expect(unknown).toMatchObject({ fate: { known: false, why: 'connection refused' } });
    expect((unknown as Error).message).toBe(`the local stack of stage local at http://127.0.0.1:3002 stopped answering (connection reset) while job ${jobId} was running; ` +
      'its state is unknown, and lost: the stack\'s S3 does not answer either (connection refused), and a restarted stack starts with an empty bucket. ' +
      'Restart it with `lambda-mpi offline --stage local` (and its export lines), then run the job again');
  });
});
