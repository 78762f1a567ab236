import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../../src/index.ts';
import { encode } from '../../src/mpi/codec/codec.ts';
import { encodeControl } from '../../src/runtime/control.ts';
import { newJobId } from '../../src/runtime/job-id.ts';
import { localLambdaClient, localS3Client } from '../../tools/local-aws/clients.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { startOfflineStack, type OfflineStack } from '../../tools/local-aws/offline-stack.ts';
import { Attacker, frame } from '../aws/attacker.ts';
import { findLeftovers } from '../aws/leftovers.ts';

/**
 * Issue 17's attacks on a job running on the whole local stack (serverless-offline, every rank a
 * Lambda invocation): the moment the job's queues exist, every queue gets forged frames "from
 * rank 0" numbered where the real ones will be (data, collectives' and control, an abort among
 * them), garbage, and a flood of frames far ahead. The job must give the answer it gives
 * undisturbed, count what it dropped, and its key must appear in no log line and no record.
 */
const STAGE = 'forge';
let stack: OfflineStack;
let lambda: LambdaClient;
const stackLines: string[] = [];

beforeAll(async () => {
  const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startOfflineStack({ httpPort, lambdaPort, s3Port, sqsPort, stage: STAGE, onLine: (line) => stackLines.push(line) });
  lambda = localLambdaClient(stack.lambdaEndpoint);
}, 120_000);

afterAll(async () => {
  lambda?.destroy();
  await stack?.stop();
}, 60_000);

async function invokeRun(payload: unknown): Promise<any> {
  const response = await lambda.send(new InvokeCommand({ FunctionName: stack.functionName('run'), Payload: Buffer.from(JSON.stringify(payload)) }));
  return JSON.parse(Buffer.from(response.Payload ?? []).toString() || 'null');
}

/** The job's queue of `rank`, as soon as rank 0 has created it. */
async function queueExists(attacker: Attacker, jobId: string, rank: number): Promise<void> {
  for (;;) {
    try {
      await attacker.queueOf(jobId, rank);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** Something shaped like a job key (43 characters of base64url standing alone). */
const KEY_SHAPED = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/;

describe('a job on the local stack under attack', () => {
  it('gives its true answer, counts every forged, garbage and far-ahead message it dropped, and never shows its key', async () => {
    const size = 4;
    const input = { length: 20_000, rounds: 40 };
    const jobId = newJobId();
    const attacker = new Attacker(stack.sqsEndpoint, `lambda-mpi-${STAGE}`);
    // Made before the job starts, so they leave the moment its queues exist.
    const garbage = ['hello', Buffer.from('LM\u0001 the old format').toString('base64')];
    const attackOn = (rank: number): string[] => {
      // "From rank 0" (or, to rank 0, from rank 1), numbered where the real frames will be.
      const source = rank === 0 ? 1 : 0;
      const abort = encodeControl({ type: 'abort', origin: source, reason: 'forged' });
      const forged = [
        ...Array.from({ length: 200 }, (_, seq) => frame({ source, dest: rank, seq, context: 'w#c', body: encode(new Float64Array(8).fill(-1)) })),
        ...Array.from({ length: 5 }, (_, seq) => frame({ kind: 'ctrl', context: '', source, dest: rank, seq, body: abort })),
      ];
      return attacker.forge(jobId, forged, 10);
    };
    const attacks = Array.from({ length: size }, (_, rank) => [...attackOn(rank), ...garbage]);
    const FLOOD = 100_000;
    const flood = attacker.forge(jobId, Array.from({ length: FLOOD }, (_, i) => frame({ source: 0, dest: 1, seq: 1_000_000 + i, body: new Uint8Array(1) })), 25_000);

    const job = invokeRun({ jobId, program: 'vector-allreduce', size, input, timeoutSeconds: 60 });
    await Promise.all(attacks.map(async (bodies, rank) => {
      await queueExists(attacker, jobId, rank);
      await attacker.send(jobId, rank, bodies);
    }));
    await attacker.send(jobId, 1, flood);
    attacker.close();
    const forgedCount = attacks.reduce((sum, bodies) => sum + bodies.length - garbage.length, 0) + flood.length;

    const answer = await job;
    const undisturbed = await runLocal('vector-allreduce', { size, input });
    expect(answer.errorMessage).toBeUndefined();
    expect(answer.result.checksum).toBe((undisturbed.result as { checksum: number }).checksum);
    expect(answer.link.rejected).toEqual({ malformed: size * garbage.length, unauthentic: forgedCount, badClaim: 0 });
    expect(answer.link.mostHeld).toBeLessThan(100);

    // The key travelled in the workers' invocations only: not in a log line, not in the record.
    const s3 = localS3Client(stack.s3Endpoint);
    try {
      const record = await (await s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: `runs/${jobId}.json` }))).Body!.transformToString();
      expect(record).toContain(jobId);
      expect(record).not.toMatch(KEY_SHAPED);
    } finally {
      s3.destroy();
    }
    expect(stackLines.filter((line) => KEY_SHAPED.test(line))).toEqual([]);
    expect(stackLines.some((line) => line.includes(`[job ${jobId}] lambda-mpi: rank 1 dropped a message that failed authentication`))).toBe(true);
    expect(await findLeftovers(stack, `lambda-mpi-${STAGE}-${jobId}-`, [`jobs/${jobId}/`])).toEqual({ queues: [], objects: [] });
  }, 180_000);
});
