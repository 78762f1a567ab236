import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runLocal, TransportError } from '../../src/index.ts';
import { resolveAwsSettings } from '../../src/config.ts';
import { bundleProgram } from '../../src/cli/shipping/bundle-program.ts';
import { sha256Hex } from '../../src/runtime/program-bundle.ts';
import { assertProgramShipped, checkJobProgram, loadJobProgram, UnknownProgramError, type JobProgramSettings } from '../../src/service/job-program.ts';
import { ProgramCache } from '../../src/service/program-cache.ts';
import { makeUserProject, WORDCOUNT_PROGRAM, type UserProject } from '../fixtures/user-project.ts';
import { programBundleKey } from '../../src/job-store/keys.ts';

/**
 * How the functions get a shipped program: from the stage's bucket (real local S3), checked
 * against the sha256 its id names, then kept in memory and on disk (/tmp on Lambda).
 */
const local = inject('localAws');
const s3 = new S3Client({ endpoint: local.s3Endpoint, region: local.region, credentials: local.credentials, forcePathStyle: true });
let project: UserProject;
let bundle: Awaited<ReturnType<typeof bundleProgram>>;
const dirs: string[] = [];
const keys: string[] = [];

async function cacheDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lambda-mpi-program-cache-'));
  dirs.push(dir);
  return dir;
}

async function put(key: string, body: Uint8Array | string): Promise<void> {
  keys.push(key);
  await s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: key, Body: body }));
}

async function settings(): Promise<JobProgramSettings> {
  return {
    aws: resolveAwsSettings({ bucket: local.bucket, region: local.region, endpoints: { s3: local.s3Endpoint }, credentials: local.credentials }),
    programCacheDir: await cacheDir(),
    stage: 'test',
  };
}

const input = { lines: ['one two', 'three'] };
const fetchFrom = () => ({ s3, bucket: local.bucket });

beforeAll(async () => {
  project = await makeUserProject({ 'wordcount.ts': WORDCOUNT_PROGRAM });
  bundle = await bundleProgram(join(project.dir, 'wordcount.ts'));
  await put(programBundleKey(bundle.hash), bundle.bytes);
});

afterAll(async () => {
  await Promise.all(keys.map((Key) => s3.send(new DeleteObjectCommand({ Bucket: local.bucket, Key }))));
  s3.destroy();
  await Promise.all([project?.remove(), ...dirs.map((d) => rm(d, { recursive: true, force: true }))]);
});

describe('a shipped program on the functions', () => {
  it('is loaded from the bucket by its id and runs', async () => {
    const program = await loadJobProgram(bundle.id, await settings());
    expect((await runLocal(program, { size: 2, input })).result).toBe(3);
  });

  it('is kept on disk across environments sharing it, and in memory for the life of one', async () => {
    const dir = await cacheDir();
    // A bundle of its own (one more comment line), so that deleting it from the bucket harms no other test.
    const bytes = Buffer.concat([Buffer.from(bundle.bytes), Buffer.from('\n// kept on disk and in memory\n')]);
    const hash = sha256Hex(bytes);
    await put(programBundleKey(hash), bytes);
    await new ProgramCache(dir).load(hash, fetchFrom);
    expect(await readdir(dir)).toEqual([`sha256-${hash}.mjs`]);
    await s3.send(new DeleteObjectCommand({ Bucket: local.bucket, Key: programBundleKey(hash) }));
    const noBucket = () => {
      throw new Error('the bucket was asked');
    };
    const warm = new ProgramCache(dir);
    const program = await warm.load(hash, noBucket);
    await rm(join(dir, `sha256-${hash}.mjs`));
    expect(await warm.load(hash, noBucket)).toBe(program);
    expect((await runLocal(program, { size: 2, input })).result).toBe(3);
  });

  it('refuses bytes that are not what the id names, and keeps none of them', async () => {
    const dir = await cacheDir();
    const claimed = sha256Hex('something else entirely');
    await put(programBundleKey(claimed), bundle.bytes);
    const error = await new ProgramCache(dir).load(claimed, fetchFrom).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toMatch(new RegExp(`programs/sha256-${claimed}\\.mjs has sha256 ${bundle.hash}, not the ${claimed} its name promises`));
    expect(await readdir(dir).catch(() => [])).toEqual([]);
  });

  it('replaces an altered copy on disk with the bucket\'s', async () => {
    const dir = await cacheDir();
    await writeFile(join(dir, `sha256-${bundle.hash}.mjs`), 'export default { kind: "lambda-mpi/program", main: () => "tampered" };\n');
    const program = await new ProgramCache(dir).load(bundle.hash, fetchFrom);
    expect((await runLocal(program, { size: 2, input })).result).toBe(3);
  });

  it('an id the bucket does not hold: an UnknownProgramError saying how to ship it', async () => {
    const id = `sha256:${'0'.repeat(64)}`;
    const error = await loadJobProgram(id, await settings()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownProgramError);
    expect((error as Error).message).toBe(`unknown program ${id}: ship it with \`lambda-mpi run <file> --stage test\` (it uploads the program to the stage and prints its id)`);
    await expect(assertProgramShipped(id, s3, local.bucket, 'test')).rejects.toThrow(UnknownProgramError);
    await expect(assertProgramShipped(bundle.id, s3, local.bucket, 'test')).resolves.toBeUndefined();
  });

  it.each([
    [`sha256:${'A'.repeat(64)}`, /must be "sha256:" followed by exactly 64 lower-case hex digits/],
    [`sha256:${'a'.repeat(63)}`, /must be "sha256:" followed by exactly 64 lower-case hex digits/],
    ['../programs/x', /must be one of the bundled programs \(hello, .*\) or "sha256:<64 lower-case hex digits>"/],
  ])('refuses the malformed program %j before anything is fetched', (program, message) => {
    expect(() => checkJobProgram(program)).toThrow(message);
  });

  it('bundled programs keep working by name', async () => {
    const program = await loadJobProgram('reduce', await settings());
    expect((await runLocal(program, { size: 3 })).output.map((l) => l.line)).toEqual(['[3.]']);
  });
});
