import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveAwsSettings } from '../../src/config.ts';
import { newJobId } from '../../src/runtime/job-id.ts';
import { childrenOf } from '../../src/service/fanout.ts';
import { runWorkerLambda } from '../../src/service/worker-lambda.ts';
import type { WorkerEvent } from '../../src/service/worker-event.ts';
import { JobKey } from '../../src/transport/aws/job-key.ts';
import { createAwsClients } from '../../src/transport/aws/clients.ts';
import { createJobResources, deleteJobResources, queueUrl, type JobQueues } from '../../src/transport/aws/job-resources.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { localAwsEnv, localSqsClient } from '../../tools/local-aws/clients.ts';

/**
 * A worker Lambda's start, against the local SQS and S3 and a stand-in for Lambda's Invoke API
 * that holds its answers: the rank's children are invoked before its program runs, even when the
 * program computes synchronously from its first line (pi does), which would otherwise keep the
 * Invoke requests in the event loop until it yields.
 */
describe('a worker starts its children before its program', () => {
  const local = inject('localAws');
  const settings = resolveAwsSettings({
    bucket: local.bucket,
    region: local.region,
    endpoints: { sqs: local.sqsEndpoint, s3: local.s3Endpoint },
    credentials: local.credentials,
    queuePrefix: 'lmstart',
  });
  const invoked: number[] = [];
  const held: ServerResponse[] = [];
  let server: ReturnType<typeof createServer>;
  const saved = { ...process.env };

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        invoked.push((JSON.parse(body) as WorkerEvent).rank);
        held.push(response);
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    Object.assign(process.env, localAwsEnv({ ...local, s3Endpoint: local.s3Endpoint, sqsEndpoint: local.sqsEndpoint }), {
      AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${port}`,
      LAMBDA_MPI_BUCKET: local.bucket,
      LAMBDA_MPI_QUEUE_PREFIX: 'lmstart',
      LAMBDA_MPI_WORKER_FUNCTION: 'lambda-mpi-test-worker',
    });
  });

  afterAll(async () => {
    process.env = saved;
    for (const response of held) response.end();
    await new Promise((resolve) => server.close(resolve));
  });

  it('invokes its children, and runs its program only once their Invoke calls are answered', async () => {
    const clients = createAwsClients(settings);
    const jobId = newJobId();
    const size = 5;
    const fanout = 2;
    let queues: JobQueues | undefined;
    try {
      queues = await createJobResources(clients, settings, jobId, size);
      const event: WorkerEvent = {
        kind: 'lambda-mpi/worker', jobId, rank: 1, size, program: 'pi', timeoutMs: 60_000, deadline: Date.now() + 60_000,
        queueUrlBase: queues.urlBase, jobKey: JobKey.generate().toText(), fanout, input: { samples: 2_000_000 },
      };
      const worker = runWorkerLambda(event, 120_000);
      const children = childrenOf(1, size, fanout);
      while (invoked.length < children.length) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(invoked.sort()).toEqual(children);

      // While the answers are held, the program has not run: nothing from rank 1 reached rank 0
      // (its pi share takes a few ms; it would have sent its partial sum long since).
      await new Promise((resolve) => setTimeout(resolve, 500));
      const sqs = localSqsClient(local.sqsEndpoint);
      const peek = () => sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl(queues!, 0), MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
      expect((await peek()).Messages ?? []).toEqual([]);

      for (const response of held.splice(0)) {
        response.writeHead(202);
        response.end();
      }
      expect(await worker).toEqual({ rank: 1, outcome: 'ran' });
      expect((await peek()).Messages?.length).toBeGreaterThan(0);
      sqs.destroy();
    } finally {
      if (queues) await deleteJobResources(clients, settings, jobId, queues, size);
      clients.destroy();
    }
  }, 60_000);
});
