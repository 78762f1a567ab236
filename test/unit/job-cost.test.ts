import { describe, expect, it } from 'vitest';
import { estimateJobCost, formatCost, usd, type CostInput } from '../../src/cost/job-cost.ts';

/**
 * The cost estimate's arithmetic, against figures worked out by hand from us-east-1's prices:
 * Lambda arm64 $0.0000133334 per GB-s (x86_64 $0.0000166667), $0.20 per million requests; SQS
 * $0.40 per million 64 KiB chunks; S3 $0.005 per 1,000 PUT/LIST, $0.0004 per 1,000 GET/HEAD.
 */
const job: CostInput = {
  size: 2,
  timings: {
    durationMs: 2000,
    ranks: [
      // Rank 0: its handler spans the job, 2,000 ms, plus a 300 ms init (cold), at 1024 MB.
      { rank: 0, durationMs: 1500, handlerMs: 0, coldStart: true, initMs: 300, memoryMb: 1024 },
      // Rank 1: from its handler (100 ms) to its program's end (1,600 ms): 1,500 ms, warm, at 2048 MB.
      { rank: 1, durationMs: 1400, handlerMs: 100, endMs: 1600, coldStart: false, memoryMb: 2048 },
    ],
  },
  requests: {
    sqs: {
      SendMessageBatch: { requests: 10, bytesSent: 0, bytesReceived: 0, billedChunks: 12 },
      ReceiveMessage: { requests: 20, bytesSent: 0, bytesReceived: 0, billedChunks: 20 },
    },
    s3: {
      PutObject: { requests: 5, bytesSent: 0, bytesReceived: 0 },
      ListObjectsV2: { requests: 1, bytesSent: 0, bytesReceived: 0 },
      GetObject: { requests: 7, bytesSent: 0, bytesReceived: 0 },
      HeadObject: { requests: 2, bytesSent: 0, bytesReceived: 0 },
      DeleteObjects: { requests: 1, bytesSent: 0, bytesReceived: 0 },
    },
    lambda: { Invoke: { requests: 1, bytesSent: 0, bytesReceived: 0 } },
  },
  platform: { architecture: 'arm64', region: 'us-east-1' },
};

describe('the estimated cost of a job', () => {
  it('adds GB-seconds (init included), requests, SQS chunks and S3 requests by class', () => {
    const estimate = estimateJobCost(job, { s3: { GetObject: { requests: 40, bytesSent: 0, bytesReceived: 0 }, PutObject: { requests: 1, bytesSent: 0, bytesReceived: 0 } } });
    // 1 GB × 2.3 s + 2 GB × 1.5 s = 5.3 GB-s.
    expect(estimate.lambda.gbSeconds).toBeCloseTo(5.3, 12);
    expect(estimate.lambda.initSeconds).toBeCloseTo(0.3, 12);
    expect(estimate.lambda.computeUsd).toBeCloseTo(0.00007066702, 15);
    expect(estimate.lambda.requestsUsd).toBeCloseTo(0.0000004, 15);
    expect(estimate.sqs).toEqual({ requests: 30, billedChunks: 32, usd: expect.closeTo(0.0000128, 15) });
    // PUT class: 5 + 1 LIST + the CLI's 1 = 7; GET class: 7 + 2 HEAD + the CLI's 40 = 49; the DELETE is free.
    expect(estimate.s3).toEqual({ putClass: 7, getClass: 49, free: 1, usd: expect.closeTo(0.0000546, 15) });
    expect(estimate.totalUsd).toBeCloseTo(0.00007066702 + 0.0000004 + 0.0000128 + 0.0000546, 15);
  });

  it('prices x86_64 apart, and says when a region has no table of its own', () => {
    const estimate = estimateJobCost({ ...job, requests: {}, platform: { architecture: 'x86_64', region: 'eu-north-1' } });
    expect(estimate.lambda.computeUsd).toBeCloseTo(5.3 * 0.0000166667, 15);
    expect([estimate.exactRegion, estimate.table.region]).toEqual([false, 'us-east-1']);
    expect(formatCost('j0b', estimate)[0]).toBe(`estimated cost of job j0b: ${usd(estimate.totalUsd)} (eu-north-1 (no price table: us-east-1's used), x86_64, prices of ${estimate.table.asOf})`);
  });

  it('assumes 1024 MB for a rank that did not say, and says so', () => {
    const estimate = estimateJobCost({ size: 1, timings: { durationMs: 1000, ranks: [{ rank: 0, durationMs: 1000 }] } });
    expect(estimate.lambda.gbSeconds).toBeCloseTo(1, 12);
    expect(estimate.lambda.assumedMemoryMb).toBe(1024);
    expect(formatCost('j', estimate)[1]).toContain('1024 MB assumed');
  });

  it('prints amounts with three significant digits, never in exponent notation', () => {
    expect([usd(0), usd(0.0000004), usd(0.00007066702), usd(0.0123456), usd(1.5)]).toEqual(['$0', '$0.000000400', '$0.0000707', '$0.0123', '$1.5000']);
  });
});

describe("a program's file requests (File on S3) in the cost", () => {
  it('are priced as S3 requests of their class: the upload as PUT, reads as GET, an abort free', () => {
    const files = {
      files: {
        CreateMultipartUpload: { requests: 1, bytesSent: 0, bytesReceived: 0 },
        UploadPart: { requests: 998, bytesSent: 0, bytesReceived: 0 },
        CompleteMultipartUpload: { requests: 1, bytesSent: 0, bytesReceived: 0 },
        GetObject: { requests: 999, bytesSent: 0, bytesReceived: 0 },
        HeadObject: { requests: 1, bytesSent: 0, bytesReceived: 0 },
        AbortMultipartUpload: { requests: 3, bytesSent: 0, bytesReceived: 0 },
      },
    };
    const without = estimateJobCost({ ...job, requests: {} });
    const withFiles = estimateJobCost({ ...job, requests: files });
    expect(withFiles.s3.putClass - without.s3.putClass).toBe(1000);
    expect(withFiles.s3.getClass - without.s3.getClass).toBe(1000);
    expect(withFiles.s3.free - without.s3.free).toBe(3);
    // 1,000 PUTs at $0.005 per 1,000 and 1,000 GETs at $0.0004 per 1,000.
    expect(withFiles.s3.usd - without.s3.usd).toBeCloseTo(0.0054, 10);
  });
});

describe('a job on the Valkey channel in the cost', () => {
  const valkeyRequests = {
    valkey: {
      RPUSH: { requests: 40, bytesSent: 0, bytesReceived: 0, ecpus: 52 },
      BLMPOP: { requests: 41, bytesSent: 0, bytesReceived: 0, ecpus: 53 },
      UNLINK: { requests: 1, bytesSent: 0, bytesReceived: 0, ecpus: 1 },
    },
    s3: { PutObject: { requests: 2, bytesSent: 0, bytesReceived: 0 } },
  };

  it('prices its ECPUs at $0.0023 per million, and prints a Valkey line in place of an empty SQS one', () => {
    const estimate = estimateJobCost({ ...job, requests: valkeyRequests });
    expect(estimate.valkey).toEqual({ commands: 82, ecpus: 106, usd: expect.closeTo(106 * 0.0000000023, 18) });
    expect(estimate.sqs).toEqual({ requests: 0, billedChunks: 0, usd: 0 });
    expect(estimate.totalUsd).toBeCloseTo(0.00007066702 + 0.0000004 + 106 * 0.0000000023 + 2 * 0.000005, 15);
    const lines = formatCost('j', estimate);
    expect(lines.filter((line) => line.startsWith('  SQS'))).toEqual([]);
    expect(lines.filter((line) => line.startsWith('  Valkey'))).toEqual([`  Valkey  82 commands, 106 ECPUs (1 a KiB moved, at least 1 a command) × $0.00000000230 = ${usd(106 * 0.0000000023)}; the cache's own floor is the stage's (docs/deploying.md)`]);
  });

  it('keeps the SQS line of a job over SQS, and prints no Valkey line', () => {
    const lines = formatCost('j', estimateJobCost(job));
    expect(lines.filter((line) => /^ {2}(SQS|Valkey)/.test(line)).map((line) => line.split(' ').filter(Boolean)[0])).toEqual(['SQS']);
  });
});
