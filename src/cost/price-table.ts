/**
 * What AWS charges for what a job uses, per region, as published on aws.amazon.com/lambda/pricing,
 * /sqs/pricing, /s3/pricing and /elasticache/pricing (on-demand, after the free tier). Dated:
 * prices change, and an estimate says which prices it used. A region not listed is estimated at
 * us-east-1's prices, and the estimate says so.
 *
 * Assumptions, printed with every estimate:
 * - Lambda: memory × billed duration, per rank, rounded up to the millisecond, plus the init phase
 *   of a cold start (Lambda bills it); one request per rank's invocation.
 * - SQS: standard queues; every API call is a request, billed per 64 KiB chunk of its payload.
 * - ElastiCache Serverless for Valkey (the Valkey channel): every command is billed in ECPUs, one
 *   per KiB it moves and at least one; the cache's stored-data floor is the stage's, not a job's
 *   (docs/deploying.md).
 * - S3 Standard: PUT, COPY, POST and LIST requests at one price, GET, HEAD and the rest at
 *   another; DELETE requests are free; storage of a job's objects (seconds to days) rounds to $0.
 * - Data transfer between Lambda, SQS and S3 in one region is free; the free tier is not applied.
 */
export interface PriceTable {
  region: string;
  /** When these prices were read off AWS's pricing pages. */
  asOf: string;
  lambda: {
    /** $ per GB-second, by architecture. */
    gbSecond: { arm64: number; x86_64: number };
    /** $ per request (invocation). */
    request: number;
  };
  sqs: {
    /** $ per request, i.e. per 64 KiB chunk of payload. */
    request: number;
  };
  valkey: {
    /** $ per ECPU. */
    ecpu: number;
    /** $ per GB-hour of data stored (billed at `minimumGb` at least). */
    gbHour: number;
    minimumGb: number;
  };
  s3: {
    /** $ per PUT, COPY, POST or LIST request. */
    putClass: number;
    /** $ per GET, HEAD or other request. */
    getClass: number;
  };
}

export const PRICE_TABLES: readonly PriceTable[] = [
  {
    region: 'us-east-1',
    asOf: '2026-11',
    lambda: { gbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 }, request: 0.20 / 1e6 },
    sqs: { request: 0.40 / 1e6 },
    // ElastiCache Serverless for Valkey: $0.0023 per million ECPUs, $0.084 per GB-hour of data
    // stored, billed at 100 MB at least.
    valkey: { ecpu: 0.0023 / 1e6, gbHour: 0.084, minimumGb: 0.1 },
    s3: { putClass: 0.005 / 1000, getClass: 0.0004 / 1000 },
  },
];

/** Bytes one ECPU covers: a Valkey command moving b bytes is billed max(1, ⌈b / this⌉) ECPUs. */
export const VALKEY_ECPU_BYTES = 1024;

/** The table of `region`, or us-east-1's with `estimated: true`. */
export function priceTableFor(region: string | undefined): { table: PriceTable; exact: boolean } {
  const found = PRICE_TABLES.find((t) => t.region === region);
  return found ? { table: found, exact: true } : { table: PRICE_TABLES[0]!, exact: false };
}

/** S3 operations billed at the PUT/COPY/POST/LIST price; DELETEs are free; the rest are GET-class. */
export const S3_PUT_CLASS = new Set(['PutObject', 'CopyObject', 'PostObject', 'ListObjectsV2', 'ListObjects', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'ListBuckets']);
export const S3_FREE = new Set(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload']);
