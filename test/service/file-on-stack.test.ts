import { GetObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { localS3Client } from '../../tools/local-aws/clients.ts';
import { startOfflineStack, type OfflineStack } from '../../tools/local-aws/offline-stack.ts';
import { offlineShellEnv } from './offline-env.ts';

/**
 * examples/wordcount-s3 end to end on the local stack (serverless-offline + local S3/SQS): the
 * program shipped with `lambda-mpi run … --stage`, its ranks Lambda functions reading their shares
 * of a text object in a data bucket (made on first use) and writing the counts as one object.
 */
const STAGE = 'files';
const DATA = 'wordcount-data';
const ROOT = join(import.meta.dirname, '../..');
const exec = promisify(execFile);

let stack: OfflineStack;
let env: NodeJS.ProcessEnv;
let s3: S3Client;

beforeAll(async () => {
  const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startOfflineStack({ httpPort, lambdaPort, s3Port, sqsPort, stage: STAGE });
  env = offlineShellEnv(stack, STAGE);
  s3 = localS3Client(stack.s3Endpoint);
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  await stack?.stop();
});

/** The single-process count the job must agree with. */
function countWords(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

describe('examples/wordcount-s3 on the local stack', () => {
  it('counts the words of an object with readPartition, alltoallv and writeOrdered, as a single process counts them', async () => {
    const words = ['lambda', 'mpi', 'über', 'naïve', 'straße', '日本', 'zoë', 'fox', 'dog', 'the', 'a'];
    let seed = 7;
    const pick = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return words[seed % words.length]!;
    };
    const text = Array.from({ length: 3000 }, (_, line) => `${Array.from({ length: 1 + (line % 9) }, pick).join(' ')}${line % 5 === 0 ? ', The End.' : ''}\n`).join('');
    await s3.send(new PutObjectCommand({ Bucket: DATA, Key: 'book.txt', Body: text }));

    const input = JSON.stringify({ input: `s3://${DATA}/book.txt`, output: `s3://${DATA}/counts.tsv` });
    const { stdout, stderr } = await exec(process.execPath, [join(ROOT, 'bin/lambda-mpi.mjs'), 'run', join(ROOT, 'examples/wordcount-s3/wordcount.ts'), '-n', '4', '--stage', STAGE, '--input', input, '--result'], { cwd: ROOT, env, timeout: 150_000 })
      .catch((error: { stdout: string; stderr: string }) => { throw new Error(`run failed:\n${error.stdout}\n${error.stderr}`); });

    const expected = countWords(text);
    const result = await s3.send(new GetObjectCommand({ Bucket: DATA, Key: 'counts.tsv' }));
    const lines = (await result.Body!.transformToString()).split('\n').filter(Boolean);
    const counted = new Map(lines.map((line) => [line.split('\t')[0]!, Number(line.split('\t')[1])]));
    expect(lines).toHaveLength(expected.size); // each word once: no share counted twice, none lost
    expect(counted).toEqual(expected);
    const total = [...expected.values()].reduce((sum, count) => sum + count, 0);
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ words: total, distinct: expected.size });
    expect(stdout).toContain(`${total} words, ${expected.size} distinct`);
    // The file requests in the time breakdown: a HEAD, a GET a rank, and the output's start, one part and completion.
    expect(stderr).toMatch(/, files 8 requests \(0\.\d+ MiB read, 0\.\d+ MiB written\)\n/);
    const pending = await s3.send(new ListMultipartUploadsCommand({ Bucket: DATA }));
    expect(pending.Uploads ?? []).toEqual([]);
  }, 180_000);
});
