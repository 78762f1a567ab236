import { describe, expect, it } from 'vitest';
import { estimateJobCost, type CostInput } from '../../src/cost/job-cost.ts';
import { reportCost } from '../../src/report/report-cost.ts';

const job: CostInput = {
  size: 2,
  timings: { durationMs: 1000, ranks: [{ rank: 0, durationMs: 1000, handlerMs: 0, memoryMb: 1024 }, { rank: 1, durationMs: 900, memoryMb: 1024 }] },
  platform: { architecture: 'arm64', region: 'us-east-1' },
};
const none = { bytesSent: 0, bytesReceived: 0 };

describe("the report page's cost parts", () => {
  it("name the job's channel: SQS's part for a job over SQS, Valkey's for one over Valkey, each with its own dollars", () => {
    const overSqs = estimateJobCost({ ...job, requests: { sqs: { SendMessageBatch: { requests: 10, ...none, billedChunks: 10 } } } });
    const overValkey = estimateJobCost({ ...job, requests: { valkey: { RPUSH: { requests: 10, ...none, ecpus: 30 } } } });
    expect(reportCost(overSqs).parts.map((p) => p.name)).toEqual(['Lambda', 'SQS', 'S3']);
    expect(reportCost(overValkey).parts).toEqual([
      { name: 'Lambda', usd: overValkey.lambda.computeUsd + overValkey.lambda.requestsUsd },
      { name: 'Valkey', usd: expect.closeTo(30 * 0.0023 / 1e6, 18) },
      { name: 'S3', usd: 0 },
    ]);
    expect(reportCost(overValkey).totalUsd).toBeCloseTo(overValkey.lambda.computeUsd + overValkey.lambda.requestsUsd + 30 * 0.0023 / 1e6, 15);
  });
});
