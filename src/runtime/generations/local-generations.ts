import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../mpi/errors.ts';
import { MemoryCheckpoints } from './memory-checkpoints.ts';
import type { GenerationOptions } from './rank-generations.ts';

/** runLocal's generationSeconds: refused unless a positive number of seconds. */
export function generationLimitMs(generationSeconds: unknown): number | undefined {
  if (generationSeconds === undefined) return undefined;
  if (typeof generationSeconds !== 'number' || !Number.isFinite(generationSeconds) || generationSeconds <= 0) {
    throw new InvalidArgumentError('generationSeconds', generationSeconds, 'a positive number of seconds (each generation ends at the first checkpointIfDue due after it)');
  }
  return generationSeconds * 1_000;
}

/** The generations of a job whose ranks share this thread: checkpoints in memory unless the transport keeps them (S3, the model). */
export function inlineGenerations(generationSeconds: unknown): GenerationOptions {
  const limitMs = generationLimitMs(generationSeconds);
  return { ...(limitMs === undefined ? {} : { limitMs }), objects: new MemoryCheckpoints() };
}

/** The temporary folder for the checkpoints of a job in worker threads (made by its first checkpoint), removed with the job. */
export function checkpointFolder(jobId: string): { folder: string; remove(): Promise<void> } {
  const folder = join(tmpdir(), `lambda-mpi-checkpoints-${jobId}`);
  return { folder, remove: () => rm(folder, { recursive: true, force: true }) };
}

