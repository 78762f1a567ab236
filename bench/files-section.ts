import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { File, defineProgram, runLocal } from '../src/index.ts';
import { modelOrderedWrite, modelPartitionRead } from '../src/model/file-io.ts';
import { localS3Client } from '../tools/local-aws/clients.ts';
import { startEmulatorProcess } from '../tools/local-aws/emulator-process.ts';
import { median, rounded } from './stats.ts';
import type { Row, Section } from './types.ts';

/**
 * File on the local S3 server (s3rver in a child process) against the plain SDK on the same server,
 * in one run: readPartition of a 256 MiB text object by 8 ranks (in this process) against one
 * GetObject of it, and writeOrdered of 8 × 32 MiB + close against one lib-storage Upload of the
 * same 256 MiB, each side's runs alternating with the other's. The server is one process, so the
 * figures are File's overhead, not its scaling; its objects are kept in memory (/dev/shm where
 * there is one), as S3's disks are no part of either side's cost, and the write-back of a shared
 * disk would add to whichever side it fell on. Then the model's figures for 1,000 ranks on AWS
 * (src/model/file-io.ts).
 */
const MIB = 1 << 20;
const OBJECT_BYTES = 256 * MIB;
const RANKS = 8;
const BUCKET = 'lambda-mpi-bench-files';

function textObject(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const line = new TextEncoder().encode('the quick brown fox jumps over the lazy dog, naïve café 日本\n');
  for (let at = 0; at < bytes; at += line.length) out.set(line.subarray(0, Math.min(line.length, bytes - at)), at);
  return out;
}

async function timeOf(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/**
 * The two sides of a row, rep by rep, alternating which goes first: on a shared machine the load
 * drifts within seconds, and a ratio of two medians taken minutes apart measures the drift.
 */
async function timedPairs(reps: number, ours: () => Promise<unknown>, plain: () => Promise<unknown>): Promise<[number[], number[]]> {
  const oursMs: number[] = [];
  const plainMs: number[] = [];
  for (let i = 0; i < reps; i++) {
    if (i % 2 === 0) {
      plainMs.push(await timeOf(plain));
      oursMs.push(await timeOf(ours));
    } else {
      oursMs.push(await timeOf(ours));
      plainMs.push(await timeOf(plain));
    }
  }
  return [oursMs, plainMs];
}

function row(id: string, metric: string, lambdaMpi: number[], baselineName: string, description: string, baseline: number[]): Row {
  return {
    id, section: 'files', metric, unit: 'ms', better: 'lower', lambdaMpi: rounded(median(lambdaMpi)), mpi4py: null,
    baseline: { name: baselineName, description, value: rounded(median(baseline)) },
    target: { maxRatio: 1, label: '≤ 1x plain SDK' },
    detail: { lambdaMpiMs: lambdaMpi.map(rounded), baselineMs: baseline.map(rounded) },
  };
}

export const filesSection: Section = {
  name: 'files',
  description: 'File (MPI-IO on S3) on the local S3 server against the plain SDK; the model at 1,000 ranks',
  async run(context) {
    // Five pairs: a row's two sides differ by a few per cent, less than one run's spread here.
    const reps = context.quick ? 1 : 5;
    const dataDir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lambda-mpi-bench-files-'));
    const servers = await startEmulatorProcess({ buckets: [BUCKET], dataDir }).catch(async (error: unknown) => {
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    });
    const saved = { ...process.env };
    Object.assign(process.env, servers.env());
    const s3 = localS3Client(servers.s3Endpoint);
    try {
      const object = textObject(OBJECT_BYTES);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'input.txt', Body: object }));
      const input = `s3://${BUCKET}/input.txt`;
      context.log('files: readPartition 256 MiB by 8 ranks, and one GetObject of it');
      const partition = defineProgram(async (comm) => {
        const file = await File.open(comm, input);
        const share = await file.readPartition({ delimiter: '\n' });
        await file.close();
        return share.length;
      });
      // Both sides warm: the plain client paid its first use uploading the object; File's first job
      // in a process pays its own once (code compiled on first run, the first client's set-up), so
      // a job of one rank reads a byte first.
      await runLocal(defineProgram(async (comm) => {
        const file = await File.open(comm, input);
        await file.readAt(0, 1);
        await file.close();
      }), { size: 1 });
      const [read, plainGet] = await timedPairs(reps, async () => {
        const r = await runLocal(partition, { size: RANKS });
        if ((r.results as number[]).reduce((a, b) => a + b, 0) !== OBJECT_BYTES) throw new Error('readPartition lost bytes');
      }, async () => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'input.txt' }))).Body!.transformToByteArray());

      context.log('files: writeOrdered 8 × 32 MiB, and one lib-storage Upload of 256 MiB');
      const share = OBJECT_BYTES / RANKS;
      const ordered = defineProgram(async (comm) => {
        const file = await File.open(comm, `s3://${BUCKET}/ordered-out.bin`, 'w');
        await file.writeOrdered(object.subarray(comm.rank * share, (comm.rank + 1) * share));
        await file.close();
      });
      const plainUploadOf = (body: Uint8Array) => new Upload({ client: s3, params: { Bucket: BUCKET, Key: 'plain-out.bin', Body: body } }).done();
      // Both write paths warm, as the reads are: each side's first upload compiles its code.
      await runLocal(defineProgram(async (comm) => {
        const file = await File.open(comm, `s3://${BUCKET}/ordered-out.bin`, 'w');
        await file.writeOrdered(object.subarray(0, 1024));
        await file.close();
      }), { size: 1 });
      await plainUploadOf(object.subarray(0, 1024));
      const [write, plainUpload] = await timedPairs(reps, () => runLocal(ordered, { size: RANKS }), () => plainUploadOf(object));

      const modeledRead = modelPartitionRead(100 * 1024 ** 3, 1000);
      const modeledWrite = modelOrderedWrite(100 * 1024 ** 3, 1000);
      return [
        row('files.readpartition-256mib.np8', 'readPartition 256 MiB by 8 ranks (job wall time)', read, 'one GetObject', 'one plain SDK GetObject of the whole object, body read to bytes', plainGet),
        row('files.writeordered-8x32mib.np8', 'writeOrdered 8 × 32 MiB + close (job wall time)', write, 'one Upload', "one @aws-sdk/lib-storage Upload of the same 256 MiB (its default 5 MiB parts, 4 at once)", plainUpload),
        {
          id: 'model.files.readpartition-100gib.np1000', section: 'files', metric: `model: readPartition 100 GiB by 1,000 ranks (${modeledRead.gets} GETs, $${modeledRead.usd.toFixed(4)})`,
          unit: 's', better: 'lower', lambdaMpi: rounded(modeledRead.seconds), mpi4py: null, detail: { ...modeledRead },
        },
        {
          id: 'model.files.writeordered-100gib.np1000', section: 'files', metric: `model: writeOrdered 100 GiB by 1,000 ranks (${modeledWrite.parts} parts, ${modeledWrite.aggregators} aggregators, $${modeledWrite.usd.toFixed(4)})`,
          unit: 's', better: 'lower', lambdaMpi: rounded(modeledWrite.seconds), mpi4py: null, detail: { ...modeledWrite },
        },
      ];
    } finally {
      s3.destroy();
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
      await servers.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
