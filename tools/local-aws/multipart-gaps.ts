import { readFile, readdir, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

/** The part of s3rver's filesystem store this reads (CommonJS, untyped). */
export interface MultipartStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<unknown>;
  getBucket(bucket: string): Promise<unknown>;
  putBucket(bucket: string): Promise<unknown>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * What S3 does with multipart uploads and s3rver does not, added in front of it so the local
 * stack refuses what AWS refuses (lambda-mpi's files rely on each):
 * - AbortMultipartUpload (DELETE ?uploadId) drops the upload and its parts (s3rver: 405), and
 *   UploadPart (PUT ?uploadId) of an upload that is not there, aborted or completed, is refused
 *   with NoSuchUpload (s3rver recreated the upload's folder and stored the part);
 * - ListMultipartUploads (GET bucket?uploads) lists pending uploads (s3rver: NotImplemented);
 * - CompleteMultipartUpload refuses a part but the last under 5 MiB (EntityTooSmall) and honours
 *   `If-None-Match: *` (412 when the key exists);
 * - a bucket is created on its first use, as the local stack promises programs' data buckets.
 * These requests are answered without checking their signature (the local server's only user).
 */
export function withMultipartGaps(store: MultipartStore, next: Handler): Handler {
  return (req, res) => {
    void route(store, next, req, res).catch((error: unknown) => {
      if (!res.headersSent) reply(res, 500, 'InternalError', String(error));
      else res.end();
    });
  };
}

async function route(store: MultipartStore, next: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const [bucket = '', ...keyParts] = url.pathname.slice(1).split('/');
  const key = keyParts.map(decodeURIComponent).join('/');
  if (bucket && key && !(await store.getBucket(bucket))) await store.putBucket(bucket);
  const uploadId = url.searchParams.get('uploadId');
  const uploadsOf = (name: string) => store.getResourcePath(name, undefined, 'uploads');
  const uploadDir = key && uploadId ? join(uploadsOf(bucket), uploadId) : undefined;

  if ((req.method === 'DELETE' || req.method === 'PUT') && uploadDir && !(await exists(uploadDir))) {
    req.resume();
    return reply(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
  }
  if (req.method === 'DELETE' && uploadDir) {
    req.resume();
    await rm(uploadDir, { recursive: true, force: true });
    res.statusCode = 204;
    res.end();
    return;
  }
  if (req.method === 'GET' && bucket && !key && url.searchParams.has('uploads')) {
    req.resume();
    const prefix = url.searchParams.get('prefix') ?? '';
    const dirs = await readdir(uploadsOf(bucket)).catch(() => [] as string[]);
    const uploads: string[] = [];
    for (const id of dirs) {
      const uploadKey = await readFile(join(uploadsOf(bucket), id, 'key'), 'utf8').catch(() => undefined);
      if (uploadKey !== undefined && uploadKey.startsWith(prefix)) uploads.push(`<Upload><Key>${escapeXml(uploadKey)}</Key><UploadId>${id}</UploadId></Upload>`);
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/xml');
    res.end(`<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${bucket}</Bucket><Prefix>${escapeXml(prefix)}</Prefix><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`);
    return;
  }
  if (req.method === 'POST' && uploadDir) {
    if (req.headers['if-none-match'] === '*' && (await store.getMetadata(bucket, key).then(() => true, () => false))) {
      req.resume();
      return reply(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    }
    const parts = (await readdir(uploadDir).catch(() => [] as string[])).filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
    for (const part of parts.slice(0, -1)) {
      if ((await stat(join(uploadDir, String(part)))).size < MIN_PART_BYTES) {
        req.resume();
        return reply(res, 400, 'EntityTooSmall', `Your proposed upload is smaller than the minimum allowed object size (part ${part}).`);
      }
    }
  }
  next(req, res);
}

function reply(res: ServerResponse, status: number, code: string, message: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/xml');
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
