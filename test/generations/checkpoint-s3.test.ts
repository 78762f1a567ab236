import { describe, expect, it } from 'vitest';
import { defineProgram, runLocal } from '../../src/index.ts';
import { localAwsOptions } from '../aws/local-aws-options.ts';

const MIB = 1024 * 1024;

/** A pattern every byte of which depends on the rank and its position, so a shifted, cut or swapped part shows. */
function pattern(rank: number, bytes: number): Float64Array {
  const values = new Float64Array(bytes / 8);
  for (let i = 0; i < values.length; i++) values[i] = i * 1.000001 + rank * 7.5;
  return values;
}

describe('checkpoints through S3 (transport "aws")', () => {
  it('100 MiB per rank round-trip exactly into the next generation', async () => {
    const program = defineProgram(async (comm) => {
      const restored = await comm.restore<Float64Array>();
      if (comm.generation === 0) {
        // A generation of a millisecond: the first agreement is due.
        await comm.checkpointIfDue(pattern(comm.rank, 100 * MIB));
        throw new Error('unreachable: the checkpoint was due');
      }
      const expected = pattern(comm.rank, 100 * MIB);
      return {
        generation: comm.generation,
        bytes: restored!.byteLength,
        same: Buffer.from(restored!.buffer, restored!.byteOffset, restored!.byteLength).equals(Buffer.from(expected.buffer)),
      };
    });
    const run = await runLocal(program, { size: 2, transport: 'aws', aws: localAwsOptions(), generationSeconds: 0.001, timeoutMs: 120_000 });
    expect(run.results).toEqual([0, 1].map(() => ({ generation: 1, bytes: 100 * MIB, same: true })));
    // The parts went through S3: two PUTs of 100 MiB at least.
    const puts = run.requests?.s3?.PutObject;
    expect(puts?.bytesSent ?? 0).toBeGreaterThanOrEqual(200 * MIB);
  }, 180_000);
});
