import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { RankLostError } from '../mpi/errors.ts';
import { type JobRecord } from '../job-store/job-record.ts';
import { busyKey, pulseKey } from '../job-store/keys.ts';
import { readObjectText } from '../job-store/object-text.ts';
import { failureInfo } from './failure-info.ts';

/**
 * Whether rank 0 of a job is still there, as whoever watches the job sees it (GET /runs/{jobId},
 * the CLI, the sweeper). Rank 0 leaves a pulse: `jobs/<jobId>/alive`, rewritten every
 * RANK_ZERO_PULSE_MS by a thread of its own (so a rank 0 busy in synchronous code still pulses),
 * holding the time it was written. A job whose record says `running` is lost when
 *
 * - rank 0 never started: the HTTP function wrote the record, and rank 0 did not write its own
 *   within the start deadline (its invocation was throttled, then dropped at its maximum event age);
 * - rank 0 went silent: no pulse for RANK_ZERO_LOST_AFTER_MS (its process ended);
 * - rank 0 did not end the job long after its deadline (it cannot be running it any more).
 *
 * The pulse lives among the job's objects, so it goes when the job's resources are deleted.
 */
export const RANK_ZERO_PULSE_MS = 10_000;
/** Four missed pulses and some: a watcher polling every few seconds says `lost` within a minute. */
export const RANK_ZERO_LOST_AFTER_MS = 45_000;
/** Rank 0 ends a job at its deadline, plus its report grace and cleanup: this is far beyond that. */
const PAST_DEADLINE_MS = 60_000;

export async function writeBusy(s3: S3Client, bucket: string, jobId: string, rank: number, at = Date.now()): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: busyKey(jobId, rank), Body: String(at), ContentType: 'text/plain' }));
}

/**
 * A signed URL that writes the busy marker of `rank` with a plain PUT, for a pulse thread that has
 * not loaded the SDK yet (pulse.ts). Signing needs no request; the URL outlives any invocation
 * (Lambda's limit is 15 minutes) and is only ever in the rank's own process.
 */
export function busyMarkerUrl(s3: S3Client, bucket: string, jobId: string, rank: number): Promise<string> {
  return getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: busyKey(jobId, rank) }), { expiresIn: BUSY_URL_SECONDS });
}
const BUSY_URL_SECONDS = 3_600;

export async function readBusy(s3: S3Client, bucket: string, jobId: string, rank: number): Promise<number | undefined> {
  return readTime(s3, bucket, busyKey(jobId, rank));
}

export async function writePulse(s3: S3Client, bucket: string, jobId: string, at = Date.now()): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: pulseKey(jobId), Body: String(at), ContentType: 'text/plain' }));
}

/** When rank 0 last pulsed (epoch ms), or undefined when it never did. */
export async function readPulse(s3: S3Client, bucket: string, jobId: string): Promise<number | undefined> {
  return readTime(s3, bucket, pulseKey(jobId));
}

async function readTime(s3: S3Client, bucket: string, key: string): Promise<number | undefined> {
  const text = await readObjectText(s3, bucket, key);
  const at = Number(text);
  return text !== undefined && Number.isFinite(at) ? at : undefined;
}

export interface LivenessLimits {
  /** How long after its invocation rank 0 must have started (the stage's start deadline). */
  startDeadlineMs: number;
}

/**
 * Judges a `running` record against rank 0's last pulse at time `now`: undefined while the job
 * may still be running, else the error that says why it is lost.
 */
export function judgeRunning(record: Extract<JobRecord, { status: 'running' }>, pulseAt: number | undefined, now: number, limits: LivenessLimits): RankLostError | undefined {
  const invokedAt = Date.parse(record.startedAt);
  if (record.rankZeroStartedAt === undefined) {
    // Rank 0 rewrites the record before anything else; until then only its start can be late.
    const waitedMs = now - invokedAt;
    return waitedMs > limits.startDeadlineMs + RANK_ZERO_PULSE_MS ? new RankLostError(record.jobId, { rank: 0, state: 'never-started', waitedMs }) : undefined;
  }
  if (record.nextGenerationAt !== undefined) {
    // Switching generations: the old rank 0 ended, and the next one's run function has its start deadline to take the job on.
    const waitedMs = now - Date.parse(record.nextGenerationAt);
    return waitedMs > limits.startDeadlineMs + RANK_ZERO_PULSE_MS ? new RankLostError(record.jobId, { rank: 0, state: 'never-started', waitedMs }) : undefined;
  }
  const lastSign = Math.max(pulseAt ?? 0, Date.parse(record.rankZeroStartedAt));
  if (now - lastSign > RANK_ZERO_LOST_AFTER_MS) return new RankLostError(record.jobId, { rank: 0, state: 'silent', since: lastSign, evidence: 'pulse' });
  if (record.deadline !== undefined && now > Date.parse(record.deadline) + PAST_DEADLINE_MS) {
    return new RankLostError(record.jobId, { rank: 0, state: 'silent', since: lastSign, evidence: 'pulse' });
  }
  return undefined;
}

/** The record of a lost job: what was known of it, and why it is lost. */
export function lostRecord(record: Extract<JobRecord, { status: 'running' }>, error: RankLostError): JobRecord {
  return { jobId: record.jobId, status: 'lost', program: record.program, size: record.size, startedAt: record.startedAt, error: failureInfo(error) };
}
