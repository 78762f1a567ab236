import { createHash } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TransportError } from '../mpi/errors.ts';
import { requestClaimKey } from './keys.ts';
import { readObjectText } from './object-text.ts';

/**
 * A job started without a job id (`sls invoke -f run --data …`) must run once however often its
 * request arrives: the Serverless CLI sends a synchronous invocation again when it outlasts its
 * socket timeout (120 s, AWS_CLIENT_TIMEOUT) and retries it up to 4 times, each a new invocation
 * with the same payload. So the first claims the request, by its fingerprint, with a conditional
 * write beside the job records; while its job runs, an identical request answers at once with
 * that job's id instead of starting another. The claim is released when the job ends, so running
 * the same request again later runs a new job; one whose job is past its deadline is stale.
 */
export interface RequestClaim {
  jobId: string;
  startedAt: string;
  /** Epoch ms after which the claiming job is over whatever happened to it. */
  staleAfter: number;
}

export function requestFingerprint(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/** Claims the request for `claim.jobId`; or answers with the claim of the job already running it. */
export async function claimRequest(s3: S3Client, bucket: string, fingerprint: string, claim: RequestClaim): Promise<{ claimed: true } | { claimed: false; holder: RequestClaim }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await putIfAbsent(s3, bucket, requestClaimKey(fingerprint), JSON.stringify(claim))) return { claimed: true };
    const holder = await readClaim(s3, bucket, fingerprint);
    if (holder && holder.staleAfter > Date.now()) return { claimed: false, holder };
    // The holder's job is long over (its function died before releasing the claim): take it over.
    await releaseRequest(s3, bucket, fingerprint);
  }
  const holder = await readClaim(s3, bucket, fingerprint);
  return holder ? { claimed: false, holder } : { claimed: true };
}

export async function releaseRequest(s3: S3Client, bucket: string, fingerprint: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: requestClaimKey(fingerprint) }));
}

async function readClaim(s3: S3Client, bucket: string, fingerprint: string): Promise<RequestClaim | undefined> {
  const text = await readObjectText(s3, bucket, requestClaimKey(fingerprint));
  return text === undefined ? undefined : (JSON.parse(text) as RequestClaim);
}

async function putIfAbsent(s3: S3Client, bucket: string, key: string, body: string): Promise<boolean> {
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', IfNoneMatch: '*' }));
    return true;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412 || e.name === 'ConditionalRequestConflict') return false;
    throw new TransportError('S3 PutObject', `claiming s3://${bucket}/${key} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** JSON with object keys sorted, so equal requests have equal fingerprints whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
