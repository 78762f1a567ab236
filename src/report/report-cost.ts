import { messageChannels, type CostEstimate } from '../cost/job-cost.ts';
import type { JobReportInput } from './job-report-page.ts';

/** The report's cost line: the estimate's total and its services. */
export function reportCost(estimate: CostEstimate): NonNullable<JobReportInput['cost']> {
  const shown = messageChannels(estimate);
  return {
    totalUsd: estimate.totalUsd,
    parts: [
      { name: 'Lambda', usd: estimate.lambda.computeUsd + estimate.lambda.requestsUsd },
      ...(shown.sqs ? [{ name: 'SQS', usd: estimate.sqs.usd }] : []),
      ...(shown.valkey ? [{ name: 'Valkey', usd: estimate.valkey.usd }] : []),
      { name: 'S3', usd: estimate.s3.usd },
    ],
    note: `estimated at ${estimate.region}'s on-demand prices of ${estimate.table.asOf}, ${estimate.architecture}`,
  };
}
