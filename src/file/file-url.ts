import { isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError } from '../mpi/errors.ts';

/** Where a file lives: an S3 object, or a path on this machine (ranks that run here). */
export type FileLocation =
  | { kind: 's3'; url: string; bucket: string; key: string }
  | { kind: 'local'; url: string; path: string };

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket/key` or a local path (absolute, relative, or `file://`). */
export function parseFileUrl(url: unknown): FileLocation {
  if (typeof url !== 'string' || url.length === 0) {
    throw new InvalidArgumentError('url', url, "an S3 url ('s3://bucket/key') or a local path");
  }
  if (url.startsWith('s3://')) {
    const rest = url.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (!BUCKET_NAME.test(bucket)) {
      throw new InvalidArgumentError('url', url, "s3://bucket/key with a bucket name of 3-63 lower-case letters, digits, dots and hyphens", `names the bucket ${JSON.stringify(bucket)}, which is not an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)`);
    }
    if (key.length === 0 || key.length > 1024) {
      throw new InvalidArgumentError('url', url, 's3://bucket/key with a key of 1-1024 characters', 'must name an object (s3://bucket/key, a key of 1-1024 characters)');
    }
    return { kind: 's3', url, bucket, key };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file://')) {
    throw new InvalidArgumentError('url', url, "an S3 url ('s3://bucket/key'), a file:// url or a local path");
  }
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  return { kind: 'local', url, path: isAbsolute(path) ? path : resolve(path) };
}
