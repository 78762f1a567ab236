import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { AwsSettings } from '../../config.ts';
import type { RequestCounts } from '../request-counts.ts';
import type { CheckpointObjects, PendingUploadNotes, SharedObjects } from '../transport.ts';
import { notePendingUpload } from '../../job-store/pending-uploads.ts';
import { explainAwsError } from '../aws/aws-errors.ts';
import { S3CheckpointObjects } from '../aws/checkpoint-objects.ts';
import { ClaimCheck, s3SharedObjects } from '../aws/claim-check.ts';
import { createAwsClients } from '../aws/clients.ts';
import { deleteJobObjects } from '../aws/job-resources.ts';

/**
 * S3 for a job over Valkey (loaded only by jobs that have S3: a rank's thread without it never
 * loads the SDK): its claim checks and shared objects, and their cleanup.
 */
export interface JobS3 {
  claims: ClaimCheck;
  /** A rank's shared objects (large bcasts) as S3 objects of the job. */
  sharedObjects(rank: number, threshold: number): SharedObjects;
  /** The job's checkpoints, in S3 as over SQS (a stage's generations restore them). */
  checkpoints: CheckpointObjects;
  /** A file's uploads, noted under the job's prefix for deleteObjects to abort. */
  pendingUploads: PendingUploadNotes;
  meter(): RequestCounts;
  deleteObjects(): Promise<void>;
  destroy(): void;
}

/** Opens S3 for a job, checking first that its bucket is there (else a ConfigurationError naming it). */
export async function openJobS3(settings: AwsSettings, jobId: string, { check = true } = {}): Promise<JobS3> {
  const clients = createAwsClients(settings);
  if (check) {
    try {
      await clients.s3.send(new HeadBucketCommand({ Bucket: settings.bucket }));
    } catch (error) {
      clients.destroy();
      throw explainAwsError(error, { service: 's3', settings, operation: `HeadBucket ${settings.bucket}` });
    }
  }
  const claims = new ClaimCheck(clients.s3, settings.bucket, jobId);
  return {
    claims,
    sharedObjects: (rank, threshold) => s3SharedObjects(claims, jobId, rank, threshold),
    checkpoints: new S3CheckpointObjects(clients.s3, settings.bucket, jobId, claims),
    pendingUploads: { note: (upload) => notePendingUpload(clients.s3, settings.bucket, jobId, upload) },
    meter: () => clients.meter.snapshot(),
    deleteObjects: () => deleteJobObjects(clients, settings.bucket, jobId),
    destroy: () => clients.destroy(),
  };
}
