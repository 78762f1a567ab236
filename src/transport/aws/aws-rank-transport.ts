import type { AwsSettings } from '../../config.ts';
import type { Transport } from '../transport.ts';
import { AwsTransport } from './aws-transport.ts';
import { createAwsClients } from './clients.ts';
import type { JobQueues } from './job-resources.ts';
import type { RequestCounts } from './request-meter.ts';

/**
 * Everything a rank in another thread needs to open its AWS transport: plain data, so it can be
 * posted to the thread. The job's queues exist already (aws-job-transports.ts made them).
 */
export interface AwsRankTransportSpec {
  kind: 'aws';
  settings: AwsSettings;
  jobId: string;
  size: number;
  queues: JobQueues;
}

/** A rank's transport, and the requests its own clients sent (reported with the rank's `done`). */
export interface OpenedRankTransport {
  transport: Transport;
  requestCounts(): RequestCounts;
}

/** A rank's transport over SQS and S3 with clients of its own (SDK clients cannot cross threads), closed with it. */
export function openAwsRankTransport(spec: AwsRankTransportSpec, rank: number): OpenedRankTransport {
  const clients = createAwsClients(spec.settings);
  const transport = new AwsTransport({ clients, settings: spec.settings, jobId: spec.jobId, rank, size: spec.size, queues: spec.queues });
  const close = transport.close.bind(transport);
  transport.close = () => close().finally(() => clients.destroy());
  return { transport, requestCounts: () => clients.meter.snapshot() };
}
