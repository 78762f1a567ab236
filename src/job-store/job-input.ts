import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { storedInputKey } from './keys.ts';

/**
 * Inputs larger than this travel through S3, from the HTTP function to rank 0 and from every rank
 * to its children: an asynchronous invocation carries at most 1 MB, and a smaller event starts faster.
 */
export const INLINE_INPUT_BYTES = 64 * 1024;

/** What a worker event carries for the input: the value itself or where to fetch it. */
export type InputReference = { input?: unknown } | { inputKey: string };

export async function storeInput(s3: S3Client, bucket: string, jobId: string, input: unknown): Promise<InputReference> {
  if (input === undefined) return {};
  const json = JSON.stringify(input);
  if (Buffer.byteLength(json) <= INLINE_INPUT_BYTES) return { input };
  const inputKey = storedInputKey(jobId);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: inputKey, Body: json, ContentType: 'application/json' }));
  return { inputKey };
}

export async function loadInput(s3: S3Client, bucket: string, reference: InputReference): Promise<unknown> {
  if (!('inputKey' in reference)) return reference.input;
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: reference.inputKey }));
  return JSON.parse(await response.Body!.transformToString());
}
