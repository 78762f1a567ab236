import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { File, defineProgram, wtime } from '../../src/index.ts';
import { planWrite, S3_PART_LIMITS } from '../../src/file/write-plan.ts';
import { AWS_MODEL_DEFAULTS } from '../../src/model/constants.ts';
import { modelProgram } from '../../src/model/model-run.ts';

const MiB = 1024 ** 2;
const BIG = 's3://model-data/big.txt';

/** Every rank reads its share; rank 0 returns each rank's modeled seconds in readPartition and its share's length. */
const partitionReader = defineProgram(async (comm) => {
  const file = await File.open(comm, BIG);
  const started = wtime();
  const share = await file.readPartition();
  const seconds = wtime() - started;
  await file.close();
  return comm.gather({ seconds, bytes: share.length }, 0);
});

describe('File on the modeled S3', () => {
  it('readPartition of a large object by N ranks takes about its share over one link, the ranks in parallel', async () => {
    const ranks = 4;
    // A share above 64 MiB: four parallel GETs a rank, through that rank's link.
    const size = ranks * 80 * MiB;
    const report = await modelProgram(partitionReader, { size: ranks, files: { [BIG]: { size } }, cpuScale: 0 });
    const shares = report.result as Array<{ seconds: number; bytes: number }>;
    expect(shares.reduce((sum, share) => sum + share.bytes, 0)).toBe(size);
    const { lambdaBandwidthBytesPerSecond, s3GetMs } = AWS_MODEL_DEFAULTS;
    const transfer = size / ranks / lambdaBandwidthBytesPerSecond;
    const slowest = Math.max(...shares.map((share) => share.seconds));
    // Never faster than the share through the rank's link; serialized GETs (or one link for all)
    // would take N shares' time, far beyond the first byte's latency and its tail.
    console.log(`model: readPartition of ${size / MiB} MiB by ${ranks} ranks: ${slowest.toFixed(3)} s (share over the link ${transfer.toFixed(3)} s)`);
    expect(slowest).toBeGreaterThanOrEqual(transfer);
    expect(slowest).toBeLessThan(transfer + (10 * s3GetMs) / 1000);
    expect(report.requests.files?.byOperation).toEqual({ HeadObject: 1, GetObject: ranks * 4 });
    expect(report.requests.files?.bytesRead).toBe(size);
  }, 60_000);

  it('--payload-scale counts a file\'s bytes k times on the links: a large object modeled from a small one', async () => {
    const ranks = 2;
    const size = ranks * 4 * MiB;
    const scale = 16;
    const report = await modelProgram(partitionReader, { size: ranks, files: { [BIG]: { size } }, cpuScale: 0, payloadScale: scale });
    const shares = report.result as Array<{ seconds: number; bytes: number }>;
    const transfer = (scale * size) / ranks / AWS_MODEL_DEFAULTS.lambdaBandwidthBytesPerSecond;
    expect(Math.max(...shares.map((share) => share.seconds))).toBeGreaterThanOrEqual(transfer);
    expect(report.requests.files?.bytesRead).toBe(scale * size);
  }, 60_000);

  it('a small collective write is the plan\'s parts on the modeled S3: its requests counted and priced, its bytes readable after close', async () => {
    const ranks = 3;
    const share = 3 * MiB;
    const report = await modelProgram(defineProgram(async (comm) => {
      const out = await File.open(comm, 's3://model-data/out.bin', 'w');
      await out.writeOrdered(new Uint8Array(share).fill(comm.rank + 1));
      await out.close();
      const back = await File.open(comm, 's3://model-data/out.bin');
      const bytes = await back.readAt(comm.rank * share, share);
      const whole = back.size === ranks * share;
      await back.close();
      return comm.gather(bytes.every((byte) => byte === comm.rank + 1) && whole, 0);
    }), { size: ranks });
    expect(report.result).toEqual([true, true, true]);
    const plan = planWrite(ranks * share, ranks, S3_PART_LIMITS, Array.from({ length: ranks }, (_, rank) => ({ rank, offset: rank * share, length: share })));
    expect(report.requests.files?.byOperation).toEqual({
      HeadObject: 1,
      CreateMultipartUpload: 1,
      UploadPart: plan.parts,
      CompleteMultipartUpload: 1,
      GetObject: ranks,
    });
    expect(report.requests.files?.bytesWritten).toBe(ranks * share);
    const { getClass, putClass } = AWS_MODEL_DEFAULTS.prices.s3;
    expect(report.cost.files).toBeCloseTo((1 + ranks) * getClass + (2 + plan.parts) * putClass, 12);
  }, 60_000);

  it('File.delete removes the modeled object, as a modeled request, and leaves the disk alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modeled-delete-'));
    const path = join(dir, 'input.txt');
    try {
      await writeFile(path, 'one\ntwo\n');
      const report = await modelProgram(defineProgram(async (comm) => {
        if (comm.rank === 0) await File.delete(path);
        await comm.barrier();
        return File.open(comm, path).then(() => 'still there', (error: Error) => error.message);
      }), { size: 2, files: { [path]: { path } } });
      expect(report.result).toMatch(/input\.txt.*no such object/s);
      expect(report.requests.files?.byOperation).toMatchObject({ DeleteObject: 1 });
      expect(existsSync(path)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('an object the model was not given is absent: open for reading fails on every rank', async () => {
    await expect(modelProgram(defineProgram(async (comm) => {
      await File.open(comm, 's3://model-data/missing.txt');
    }), { size: 2 })).rejects.toThrow(/missing\.txt.*no such object/s);
  }, 60_000);
});
