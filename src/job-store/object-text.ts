import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** The text of the object at `key`, or undefined when there is none; other failures are thrown as S3 gave them. */
export async function readObjectText(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await response.Body!.transformToString();
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}
