import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { File, FileError, defineProgram, runLocal } from '../../src/index.ts';
import { openFile } from '../../src/file/file.ts';
import { planWrite, S3_PART_LIMITS, type PartLimits } from '../../src/file/write-plan.ts';
import { patternBytes } from '../fixtures/file-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'lambda-mpi-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the write plan', () => {
  it('keeps every part but the last at or above the minimum, at most 10,000 parts, one contiguous domain per aggregator', () => {
    const GiB = 1024 ** 3;
    for (const [end, ranks] of [[1, 1], [6 * 1024 ** 2, 64], [256 * 1024 ** 2, 8], [100 * GiB, 1000], [5 * 1024 * GiB, 1000], [77 * 1024 ** 2 + 3, 5]] as const) {
      const plan = planWrite(end, ranks);
      expect(plan.parts).toBeLessThanOrEqual(S3_PART_LIMITS.maxParts);
      expect((plan.parts - 1) * plan.partBytes).toBeLessThan(end);
      expect(plan.parts * plan.partBytes).toBeGreaterThanOrEqual(end);
      if (plan.parts > 1) expect(plan.partBytes).toBeGreaterThanOrEqual(S3_PART_LIMITS.minPartBytes);
      let next = 0;
      for (const domain of plan.domains) {
        expect(domain.firstPart).toBe(next);
        next += domain.partCount;
      }
      expect(next).toBe(plan.parts);
      expect(new Set(plan.domains.map((domain) => domain.aggregator)).size).toBe(plan.domains.length);
      expect(Math.max(...plan.domains.map((domain) => domain.aggregator))).toBeLessThan(ranks);
    }
  });
});

describe('File on a local path', () => {
  // Tiny parts, so an aggregator uploads several in rounds and pieces cross part boundaries.
  const tiny: PartLimits = { minPartBytes: 7, maxParts: 10_000, targetPartBytes: 11 };

  it('random writes by 5 ranks, across many small parts in rounds, give exactly the bytes with zeros in the holes', async () => {
    const path = join(dir, 'random.bin');
    let seed = 99;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const expected = new Uint8Array(400);
    const writes: Array<Array<[number, number[]]>> = [[], [], [], [], []];
    // Disjoint pieces of 1-20 bytes with gaps, handed to random ranks.
    for (let at = random(5); at < 380; at += random(20) + 1) {
      const length = 1 + random(20);
      const bytes = Array.from(patternBytes(length, at));
      writes[random(5)]!.push([at, bytes]);
      expected.set(bytes, at);
      at += length;
    }
    const end = Math.max(...writes.flat().map(([at, bytes]) => at + bytes.length));
    const r = await runLocal(defineProgram(async (comm) => {
      const file = await openFile(comm, path, 'w', { limits: tiny });
      for (const [at, bytes] of writes[comm.rank]!) await (comm.rank % 2 ? file.writeAt(at, new Uint8Array(bytes)) : file.writeAtAll(at, new Uint8Array(bytes)));
      await file.close();
      return file.written;
    }), { size: 5 });
    expect(new Uint8Array(readFileSync(path))).toEqual(expected.subarray(0, end));
    const written = r.result as { parts: number; aggregators: number[] };
    expect(written.parts).toBeGreaterThan(written.aggregators.length * 3);
    expect(readdirSync(dir).filter((name) => name.includes('.upload-'))).toEqual([]);
  });

  it('readPartition and readAtAll on a local file', async () => {
    const path = join(dir, 'lines.txt');
    const text = Array.from({ length: 300 }, (_, i) => `ligne ${i} ${'ü'.repeat(i % 5)}\n`).join('');
    writeFileSync(path, text);
    const r = await runLocal(defineProgram(async (comm) => {
      const file = await File.open(comm, path);
      const share = new TextDecoder().decode(await file.readPartition({ delimiter: '\n' }));
      const first = new TextDecoder().decode(await file.readAtAll(comm.rank * 3, 3));
      await file.close();
      return { share, first };
    }), { size: 4 });
    const results = r.results as Array<{ share: string; first: string }>;
    expect(results.map((result) => result.share).join('')).toBe(text);
    expect(results.map((result) => result.first).join('')).toBe(new TextDecoder().decode(new TextEncoder().encode(text).subarray(0, 12)));
  });

  it("'wx' on an existing file fails at open; a refused close leaves no scratch behind", async () => {
    const path = join(dir, 'exists.txt');
    writeFileSync(path, 'old');
    const outcome = await runLocal(defineProgram(async (comm) => File.open(comm, path, 'wx').then(() => 'opened', (error: unknown) => (error as FileError).reason)), { size: 2 });
    expect(outcome.results).toEqual(['exists', 'exists']);
    const refused = await runLocal(defineProgram(async (comm) => {
      const file = await File.open(comm, path, 'w');
      await file.writeAt(0, 'same place');
      return file.close().then(() => 'closed', (error: unknown) => (error as FileError).reason);
    }), { size: 2 });
    expect(refused.results).toEqual(['overlap', 'overlap']);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((name) => name.includes('.upload-'))).toEqual([]);
  });

  it("each file call is a span of the job's trace, with the bytes it read, and its requests are in the job's counts", async () => {
    const path = join(dir, 'traced.txt');
    writeFileSync(path, 'one\ntwo\nthree\n');
    const out = join(dir, 'traced-out.txt');
    const r = await runLocal(defineProgram(async (comm) => {
      const file = await File.open(comm, path);
      const share = await file.readPartition({ delimiter: '\n' });
      await file.close();
      const target = await File.open(comm, out, 'w');
      await target.writeOrdered(share);
      await target.close();
    }), { size: 2, trace: true });
    const spans = (tid: number) => r.trace!.traceEvents.filter((e) => e.ph === 'X' && e.tid === tid && e.name.startsWith('File.')).map((e) => [e.name, e.args?.bytes]);
    expect(spans(0)).toEqual([['File.open', undefined], ['File.readPartition', 8], ['File.close', undefined], ['File.open', undefined], ['File.writeOrdered', undefined], ['File.close', undefined]]);
    expect(spans(1)).toEqual([['File.open', undefined], ['File.readPartition', 6], ['File.close', undefined], ['File.open', undefined], ['File.writeOrdered', undefined], ['File.close', undefined]]);
    expect(readFileSync(out, 'utf8')).toBe('one\ntwo\nthree\n');
    expect(Object.fromEntries(Object.entries(r.requests?.files ?? {}).map(([operation, count]) => [operation, count.requests]))).toEqual({
      HeadObject: 1, GetObject: 2, CreateMultipartUpload: 1, UploadPart: 1, CompleteMultipartUpload: 1,
    });
  });

  it('a buffer reused after a write returns changes nothing of what is written (writeAt, writeAtAll, writeOrdered)', async () => {
    const path = join(dir, 'reused.txt');
    await runLocal(defineProgram(async (comm) => {
      const file = await File.open(comm, path, 'w');
      const buffer = new TextEncoder().encode(`rank ${comm.rank}\n`);
      await file.writeOrdered(buffer);
      buffer.fill(63);
      const again = new TextEncoder().encode(`more ${comm.rank}\n`);
      await (comm.rank === 0 ? file.writeAt(14 + comm.rank * 7, again) : file.writeAtAll(14 + comm.rank * 7, again));
      again.fill(63);
      await file.close();
    }), { size: 2 });
    expect(readFileSync(path, 'utf8')).toBe('rank 0\nrank 1\nmore 0\nmore 1\n');
  });

  it('bad arguments are refused naming what is allowed', async () => {
    const path = join(dir, 'small.txt');
    writeFileSync(path, '0123456789');
    const r = await runLocal(defineProgram(async (comm) => {
      const file = await File.open(comm, path);
      const errors = [] as string[];
      const calls: Array<() => Promise<unknown>> = [() => file.readAt(5, 6), () => file.readAt(-1, 1), () => file.writeAt(0, 'x'), () => file.readPartition({ delimiter: '' })];
      for (const call of calls) {
        await Promise.resolve().then(call).then(() => errors.push('accepted'), (error: Error) => errors.push(error.message));
      }
      await file.close();
      await File.open(comm, path, 'rw' as never).catch((error: Error) => errors.push(error.message));
      return errors;
    }), { size: 1 });
    expect(r.result).toEqual([
      'readAt length must be an integer in 0..5 (the file has 10 bytes, the read starts at 5); received 6',
      'readAt offset must be an integer ≥ 0; received -1',
      `${path}: writeAt() needs a file opened for writing ('w' or 'wx'); this one was opened with 'r'`,
      "delimiter must be a non-empty string (e.g. '\\n') or Uint8Array; received \"\"",
      "mode must be 'r', 'w' or 'wx'; received \"rw\"",
    ]);
  });
});
