import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportLines } from '../../src/cli/commands/offline.ts';
import { bundleProgram } from '../../src/cli/shipping/bundle-program.ts';
import { MAX_PROGRAM_BUNDLE_BYTES } from '../../src/runtime/program-bundle.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { startOfflineStack, type OfflineStack } from '../../tools/local-aws/offline-stack.ts';
import { findLeftovers } from '../aws/leftovers.ts';
import { makeUserProject, WORDCOUNT_PROGRAM, type UserProject } from '../fixtures/user-project.ts';

/**
 * Programs shipped to a stage with no redeploy, end to end on the local stack (serverless-offline
 * + local S3/SQS, started once for the file): `lambda-mpi run <file> -n N --stage local` as a
 * child process in a user's project outside the repository, with the variables
 * `lambda-mpi offline` exports; then the same program over HTTP and `sls invoke` by its id.
 */
const STAGE = 'local';
const BUCKET = `lambda-mpi-${STAGE}-local`;
const cli = join(import.meta.dirname, '../../bin/lambda-mpi.mjs');
const exec = promisify(execFile);

let stack: OfflineStack;
let project: UserProject;
let env: NodeJS.ProcessEnv;
let s3: S3Client;
let shippedId: string;
/**
 * Where the functions keep shipped programs: serverless-offline gives them no TMPDIR, so their
 * os.tmpdir() is /tmp, as on Lambda.
 */
const PROGRAM_CACHE = '/tmp/lambda-mpi-programs';
const timings: Record<string, number> = {};

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

async function lambdaMpi(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], { cwd: project.dir, env: { ...env, ...extraEnv }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr, ms: Date.now() - started };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, ms: Date.now() - started };
  }
}

/**
 * The S3 endpoint the CLI is given: a pass-through to the stack's S3 server that notes every
 * request (method and path), so a test counts what the CLI sent, uploads above all.
 */
const s3Requests: string[] = [];
let s3Proxy: Server;
async function startS3Proxy(target: string): Promise<string> {
  const { hostname, port } = new URL(target);
  s3Proxy = createServer((req, res) => {
    s3Requests.push(`${req.method} ${decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)}`);
    // Headers go on unchanged (the signature covers the Host header the client sent).
    const upstream = request({ hostname, port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => res.destroy(error));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => s3Proxy.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s3Proxy.address() as AddressInfo).port}`;
}

/** The uploads (PUTs) the CLI sent since `mark`. */
function uploadsSince(mark: number): string[] {
  return s3Requests.slice(mark).filter((r) => r.startsWith('PUT '));
}

/** Every object in the stage's bucket, with its ETag: what a refused input must leave as it was. */
async function bucketContents(): Promise<Record<string, string>> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return Object.fromEntries((listed.Contents ?? []).map((o) => [o.Key!, o.ETag!]));
}

async function programsInBucket(): Promise<string[]> {
  return Object.keys(await bucketContents()).filter((key) => key.startsWith('programs/'));
}

async function http(method: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${stack.httpEndpoint}${path}`, { method, headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

async function invokeRun(payload: unknown): Promise<{ functionError?: string; body: any }> {
  const lambda = new LambdaClient({ endpoint: stack.lambdaEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const response = await lambda.send(new InvokeCommand({ FunctionName: stack.functionName('run'), Payload: Buffer.from(JSON.stringify(payload)) }));
    return { ...(response.FunctionError ? { functionError: response.FunctionError } : {}), body: JSON.parse(Buffer.from(response.Payload ?? []).toString()) };
  } finally {
    lambda.destroy();
  }
}

/** Ranks 0 and 1 both receive first, from each other: a job that can never finish. */
const BOTH_RECEIVE_PROGRAM = `import { defineProgram } from 'lambda-mpi';
export default defineProgram(async (comm) => {
  if (comm.rank > 1) return undefined;
  const value = await comm.recv(1 - comm.rank, 0);
  await comm.send(comm.rank, 1 - comm.rank, 0);
  return value;
});
`;

const LINES = ['the quick brown fox', 'jumps over', 'the lazy dog', 'and runs'];
const INPUT = JSON.stringify({ lines: LINES });

beforeAll(async () => {
  const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  [stack, project] = await Promise.all([
    startOfflineStack({ httpPort, lambdaPort, s3Port, sqsPort, stage: STAGE }),
    makeUserProject({ 'wordcount.ts': WORDCOUNT_PROGRAM, 'both-receive.ts': BOTH_RECEIVE_PROGRAM }),
  ]);
  // What a user's shell has after `eval "$(lambda-mpi offline)"`, and nothing of this machine's AWS setup.
  const exported = exportLines({
    event: 'ready',
    stage: STAGE, httpEndpoint: stack.httpEndpoint, lambdaEndpoint: stack.lambdaEndpoint, s3Endpoint: stack.s3Endpoint, sqsEndpoint: stack.sqsEndpoint,
    apiKey: stack.apiKey, bucket: BUCKET, queuePrefix: `lambda-mpi-${STAGE}`,
    functions: { run: stack.functionName('run'), worker: stack.functionName('worker'), http: stack.functionName('http') },
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, region: 'us-east-1',
  });
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('LAMBDA_MPI_')));
  env = {
    ...base,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...Object.fromEntries(exported.map((line) => /^export ([A-Z0-9_]+)=(.*)$/.exec(line)!.slice(1))),
    AWS_ENDPOINT_URL_S3: await startS3Proxy(stack.s3Endpoint),
  };
  s3 = new S3Client({ endpoint: stack.s3Endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true });
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  s3Proxy?.closeAllConnections();
  await new Promise((resolve) => (s3Proxy ? s3Proxy.close(resolve) : resolve(undefined)));
  await Promise.all([stack?.stop(), project?.remove()]);
  if (Object.keys(timings).length) console.log(`shipping timings on the local stack (ms): ${JSON.stringify(timings)}`);
}, 60_000);

describe('lambda-mpi run <file> --stage local: shipped once, run on the stage', () => {
  it('runs a bundled program by name on the stage (and warms the functions up)', async () => {
    const r = await lambdaMpi(['run', 'reduce', '-n', '3', '--stage', STAGE]);
    expect(r.stderr).toMatch(/^lambda-mpi: job [a-z2-7]{26}: reduce on 3 ranks of stage local$/m);
    expect([r.code, r.stdout]).toEqual([0, '[3.]\n']);
    timings.bundledProgram = r.ms;
  }, 60_000);

  it('bundles a program with its npm dependencies, ships it and runs it on 4 ranks', async () => {
    expect(await programsInBucket()).toEqual([]);
    // The same sources give the same id in this process as in the CLI's. The functions' disk
    // cache must not hold it yet (an earlier run on this machine may have left it there).
    const expected = await bundleProgram(join(project.dir, 'wordcount.ts'));
    const cached = join(PROGRAM_CACHE, `sha256-${expected.hash}.mjs`);
    await rm(cached, { force: true });
    const mark = s3Requests.length;
    const r = await lambdaMpi(['run', './wordcount.ts', '-n', '4', '--stage', STAGE, '--input', INPUT, '--tag-output', '--result']);
    expect(r.code).toBe(0);
    const id = /^lambda-mpi: bundled \.\/wordcount\.ts into (sha256:[0-9a-f]{64}) \(.* 3 files, .*\)$/m.exec(r.stderr)?.[1];
    expect(id).toBeDefined();
    shippedId = id!;
    expect(shippedId).toBe(expected.id);
    expect(r.stderr).toMatch(new RegExp(`^lambda-mpi: shipped ${shippedId} to stage local \\(s3://${BUCKET}/programs/sha256-${shippedId.slice(7)}\\.mjs, \\d+ ms\\)$`, 'm'));
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, -1).sort()).toEqual(['[0] rank 000: 4 words', '[1] rank 001: 2 words', '[2] rank 002: 3 words', '[3] rank 003: 2 words']);
    expect(lines.at(-1)).toBe('11');
    expect(await programsInBucket()).toEqual([`programs/sha256-${shippedId.slice(7)}.mjs`]);
    expect(uploadsSince(mark)).toEqual([`PUT /${BUCKET}/programs/sha256-${shippedId.slice(7)}.mjs`]);
    // Loaded by the functions from the bucket, verified, and kept for the next invocations.
    expect(await readFile(cached)).toEqual(Buffer.from(expected.bytes));
    timings.firstRunWithUpload = r.ms;
    timings.bundle = Number(/^lambda-mpi: bundled .*, (\d+) ms\)$/m.exec(r.stderr)?.[1]);
    timings.upload = Number(/^lambda-mpi: shipped .*, (\d+) ms\)$/m.exec(r.stderr)?.[1]);
  }, 60_000);

  it('a warm second run uploads nothing: the same id, the same object, one upload in all', async () => {
    const key = `programs/sha256-${shippedId.slice(7)}.mjs`;
    const before = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const mark = s3Requests.length;
    const r = await lambdaMpi(['run', './wordcount.ts', '-n', '4', '--stage', STAGE, '--input', INPUT, '--result']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`lambda-mpi: ${shippedId} is already on stage local; nothing to upload`);
    expect(r.stderr).not.toMatch(/shipped sha256/);
    expect(s3Requests.slice(mark)).toContain(`HEAD /${BUCKET}/${key}`);
    expect(uploadsSince(mark)).toEqual([]);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('11');
    const after = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect([after.ETag, after.LastModified]).toEqual([before.ETag, before.LastModified]);
    expect(await programsInBucket()).toEqual([key]);
    timings.warmRun = r.ms;
  }, 60_000);

  it("a rank that throws fails the job (exit 1) with its error and a stack into the program's own file", async () => {
    const r = await lambdaMpi(['run', './wordcount.ts', '-n', '3', '--stage', STAGE, '--input', JSON.stringify({ lines: LINES, failOn: 1 })]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lambda-mpi: job [a-z2-7]{26} failed: rank 1 failed: Error: no line for rank 1$/m);
    expect(r.stderr).toMatch(/--- stack of rank 1 ---\n.*\n\s+at .*wordcount\.ts:8:\d+/);
  }, 60_000);
});

describe('a deadlock on the stage', () => {
  it('two ranks that both receive first: rank 0 names the deadlock from their heartbeats, long before the job\'s timeout', async () => {
    // Were the deadlock not named, the job would run to its timeout, past this test's own.
    const r = await lambdaMpi(['run', './both-receive.ts', '-n', '3', '--stage', STAGE, '--timeout', '110']);
    timings.deadlockNamed = r.ms;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /deadlocked: rank 0 waits in recv\(source 1, tag 0\) and rank 1 waits in recv\(source 0, tag 0\); nothing is in flight that either could receive \(wait-for cycle: 0 → 1 → 0\)/,
    );
  }, 90_000);
});

describe('a shipped program by its id, with no code in the request', () => {
  it('POST /runs with "program": "sha256:…" runs it', async () => {
    const r = await http('POST', '/runs', { program: shippedId, size: 4, input: { lines: LINES } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'succeeded', result: 11, results: [11, null, null, null] });
    expect(r.body.output.map((l: { line: string }) => l.line).sort()).toEqual(['rank 000: 4 words', 'rank 001: 2 words', 'rank 002: 3 words', 'rank 003: 2 words']);
  }, 60_000);

  it('a failed job\'s record gives API clients the rank, type, message and only the program\'s own frames', async () => {
    const r = await http('POST', '/runs', { program: shippedId, size: 3, input: { lines: LINES, failOn: 1 } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.error).toMatchObject({ name: 'RankFailedError', rank: 1, message: 'rank 1 failed: Error: no line for rank 1' });
    const [first, ...frames] = (r.body.error.stack as string).split('\n');
    expect(first).toBe('Error: no line for rank 1');
    // Mapped to the program's own source; lambda-mpi's frames (the function's bundle) are left out.
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) expect(frame).toMatch(/wordcount\.ts:\d+:\d+\)?$/);
  }, 60_000);

  it('sls invoke -f run with "program": "sha256:…" runs it', async () => {
    const r = await invokeRun({ program: shippedId, size: 2, input: { lines: LINES } });
    expect(r.functionError).toBeUndefined();
    expect(r.body.result).toBe(6);
  }, 60_000);

  it('lambda-mpi run sha256:… --stage local runs it without the file', async () => {
    const r = await lambdaMpi(['run', shippedId, '-n', '2', '--stage', STAGE, '--input', INPUT, '--result']);
    expect([r.code, r.stdout.trim().split('\n').at(-1)]).toEqual([0, '6']);
    expect(r.stderr).not.toMatch(/bundled|shipped/);
  }, 60_000);
});

describe('bad input: refused with what to do, before anything is invoked, leaving the bucket as it was', () => {
  let contents: Record<string, string>;
  const unknownId = `sha256:${'0123456789abcdef'.repeat(4)}`;

  beforeAll(async () => {
    await project.write('not-a-program.ts', 'export default async function main() { return 42; }\n');
    await project.write('broken.ts', "import { defineProgram } from 'lambda-mpi';\nimport missing from 'not-installed-anywhere';\nexport default defineProgram(async () => missing);\n");
    await project.write('huge.ts', `import { defineProgram } from 'lambda-mpi';\nconst table = ${JSON.stringify('x'.repeat(MAX_PROGRAM_BUNDLE_BYTES))};\nexport default defineProgram(async () => table.length);\n`);
    contents = await bucketContents();
    // The programs shipped by the cases above (each compared after every refusal below).
    expect(Object.keys(contents)).toContain(`programs/sha256-${shippedId.slice(7)}.mjs`);
  });

  it.each([
    ['a missing file', ['run', './no-such-program.ts', '-n', '2', '--stage', STAGE], {}, /^lambda-mpi: program file \.\/no-such-program\.ts does not exist \(.*\); give a \.ts, \.mts, \.js or \.mjs file whose default export is a program made by defineProgram\(\)$/m],
    ['a default export that is not a program', ['run', './not-a-program.ts', '-n', '2', '--stage', STAGE], {}, /^lambda-mpi: program not-a-program\.ts cannot be shipped: its default export must be a program made by defineProgram\(\), and it is a plain function \(wrap it: export default defineProgram\(fn\)\)$/m],
    ['a bundle that fails to build', ['run', './broken.ts', '-n', '2', '--stage', STAGE], {}, /^lambda-mpi: program \.\/broken\.ts does not build:\n {2}broken\.ts:2:21: Could not resolve "not-installed-anywhere"/m],
    ['a bundle over the size limit', ['run', './huge.ts', '-n', '2', '--stage', STAGE], {}, /^lambda-mpi: program \.\/huge\.ts bundles to 16\.0 MiB, over the 16\.0 MiB limit of a shipped program/m],
    ['an unknown sha256 id', ['run', unknownId, '-n', '2', '--stage', STAGE], {}, new RegExp(`^lambda-mpi: unknown program ${unknownId}: stage local does not have it \\(no s3://${BUCKET}/programs/sha256-0123.*\\.mjs\\); ship it with \`lambda-mpi run <file> --stage local\`$`, 'm')],
    ['a malformed sha256 id', ['run', 'sha256:ABC', '-n', '2', '--stage', STAGE], {}, /^lambda-mpi: program must be "sha256:" followed by 64 lower-case hex digits/m],
    ['a stage that is not deployed (no run function)', ['run', './wordcount.ts', '-n', '2', '--stage', 'ghost'], { LAMBDA_MPI_STAGE: 'ghost' }, /^lambda-mpi: stage ghost is not deployed: no function lambda-mpi-ghost-run; deploy it with `lambda-mpi deploy --stage ghost`/m],
    ['a local stage that is not running any more', ['run', './wordcount.ts', '-n', '2', '--stage', STAGE], { AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9' }, /^lambda-mpi: stage local is not deployed: nothing answers at the Lambda endpoint \(.*ECONNREFUSED.*\); if it is the local stack, is `lambda-mpi offline --stage local` still running\?/m],
    ['a stage other than the one this shell is set up for', ['run', './wordcount.ts', '-n', '2', '--stage', 'prod'], {}, /^lambda-mpi: LAMBDA_MPI_STAGE: this shell is set up for the local stack of stage local .*not for --stage prod/m],
    ['a size out of range', ['run', './wordcount.ts', '-n', '0', '--stage', STAGE], {}, /-n must be a number of ranks in 1\.\.10000; received 0/],
  ] as const)('%s: exit 2', async (_what, args, extraEnv, message) => {
    const mark = s3Requests.length;
    const r = await lambdaMpi([...args], extraEnv);
    expect(uploadsSince(mark)).toEqual([]);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^lambda-mpi: (shipped|job) /m);
    expect(r.code).toBe(2);
    expect(await bucketContents()).toEqual(contents);
  }, 60_000);

  it('an unknown sha256 id over HTTP: 400 naming it and how to ship it, and no job record', async () => {
    const r = await http('POST', '/runs', { program: unknownId, size: 2 });
    expect(r).toEqual({ status: 400, body: { argument: 'program', message: `unknown program ${unknownId}: ship it with \`lambda-mpi run <file> --stage local\` (it uploads the program to the stage and prints its id)` } });
    expect(await bucketContents()).toEqual(contents);
  });

  it('an unknown sha256 id through sls invoke: an UnknownProgramError before the job starts', async () => {
    const r = await invokeRun({ program: unknownId, size: 2 });
    expect(r.functionError).toBeDefined();
    expect(r.body.trace[0]).toBe(`UnknownProgramError: unknown program ${unknownId}: ship it with \`lambda-mpi run <file> --stage local\` (it uploads the program to the stage and prints its id)`);
    expect(await bucketContents()).toEqual(contents);
  });
});

describe('refusals and failures of the stage keep their words', () => {
  it('more ranks than the stage allows (param maxRanks): refused with its limit, exit 2, before any job id is printed', async () => {
    const r = await lambdaMpi(['run', 'reduce', '-n', '33', '--stage', STAGE]);
    expect(r.stderr).toMatch(/^lambda-mpi: stage local refused the job: size must be an integer in 1\.\.32 \(this stage's largest job: its param maxRanks\); received 33$/m);
    expect(r.stderr).not.toMatch(/[a-z2-7]{26}/);
    expect(r.code).toBe(2);
  }, 60_000);

  it('a rank whose promise nobody awaits rejects fails the job at once with its own error and frames, not as a rank that stopped answering', async () => {
    await project.write('rejects.ts', "import { defineProgram } from 'lambda-mpi';\n" +
      'export default defineProgram(async (comm) => {\n' +
      '  if (comm.rank === 1) {\n' +
      "    void (async () => { await new Promise((resolve) => setTimeout(resolve, 1)); throw new TypeError('nobody awaited this'); })();\n" +
      '    await comm.recv(0, 99);\n' +
      '  }\n' +
      '  await comm.barrier();\n' +
      '});\n');
    const r = await lambdaMpi(['run', './rejects.ts', '-n', '3', '--stage', STAGE, '--timeout', '60']);
    expect(r.stderr).toMatch(/^lambda-mpi: job [a-z2-7]{26} failed: rank 1 failed: TypeError: nobody awaited this\n--- stack of rank 1 ---\nTypeError: nobody awaited this\n\s+at .*rejects\.ts:4:\d+/m);
    expect(r.code).toBe(1);
  }, 60_000);

  it('a job that times out names the rank it waits on, with none of lambda-mpi\'s frames', async () => {
    await project.write('stuck.ts', "import { defineProgram } from 'lambda-mpi';\nexport default defineProgram(async (comm) => { if (comm.rank === 1) await comm.recv(0, 5); });\n");
    const r = await lambdaMpi(['run', './stuck.ts', '-n', '2', '--stage', STAGE, '--timeout', '2']);
    expect(r.stderr).toMatch(/^lambda-mpi: job [a-z2-7]{26} failed: job [a-z2-7]{26} timed out after 2000 ms; ranks still running: rank 1 /m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.code).toBe(1);
  }, 60_000);
});

describe('examples/wordcount-s3 on the stage: File on a data bucket', () => {
  /** The single-process count the job must agree with. */
  const countWords = (text: string) => {
    const counts = new Map<string, number>();
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
    return counts;
  };

  it('counts the words of an object with readPartition, alltoallv and writeOrdered, as a single process counts them', async () => {
    const DATA = 'wordcount-data'; // made by the local S3 on its first use
    const words = ['lambda', 'mpi', 'über', 'naïve', 'straße', '日本', 'zoë', 'fox', 'dog', 'the', 'a'];
    let seed = 7;
    const pick = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return words[seed % words.length]!;
    };
    const text = Array.from({ length: 3000 }, (_, line) => `${Array.from({ length: 1 + (line % 9) }, pick).join(' ')}${line % 5 === 0 ? ', The End.' : ''}\n`).join('');
    await s3.send(new PutObjectCommand({ Bucket: DATA, Key: 'book.txt', Body: text }));
    const input = JSON.stringify({ input: `s3://${DATA}/book.txt`, output: `s3://${DATA}/counts.tsv` });
    const r = await lambdaMpi(['run', join(import.meta.dirname, '../../examples/wordcount-s3/wordcount.ts'), '-n', '4', '--stage', STAGE, '--input', input, '--result']);
    expect(r.code, r.stderr).toBe(0);

    const expected = countWords(text);
    const lines = (await (await s3.send(new GetObjectCommand({ Bucket: DATA, Key: 'counts.tsv' }))).Body!.transformToString()).split('\n').filter(Boolean);
    expect(lines).toHaveLength(expected.size); // each word once: no share counted twice, none lost
    expect(new Map(lines.map((line) => [line.split('\t')[0]!, Number(line.split('\t')[1])]))).toEqual(expected);
    const total = [...expected.values()].reduce((sum, count) => sum + count, 0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ words: total, distinct: expected.size });
    expect(r.stdout).toContain(`${total} words, ${expected.size} distinct`);
    // The file requests in the time breakdown: a HEAD, a GET a rank, and the output's start, one part and completion.
    expect(r.stderr).toMatch(/, files 8 requests \(0\.\d+ MiB read, 0\.\d+ MiB written\)\n/);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: DATA }))).Uploads ?? []).toEqual([]);
  }, 120_000);
});

describe('after the jobs', () => {
  it('leaves no queue and no job object behind, the failed job included', async () => {
    const left = await findLeftovers(
      { region: 'us-east-1', sqsEndpoint: stack.sqsEndpoint, s3Endpoint: stack.s3Endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, bucket: BUCKET },
      `lambda-mpi-${STAGE}`,
      ['jobs/'],
    );
    expect(left).toEqual({ queues: [], objects: [] });
  });
});
