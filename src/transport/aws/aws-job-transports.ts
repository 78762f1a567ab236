import { resolveAwsSettings, type AwsSettings } from '../../config.ts';
import type { JobTransportsFactory } from '../job-transports.ts';
import { AwsTransport, type AwsTransportOptions } from './aws-transport.ts';
import { createAwsClients } from './clients.ts';
import { createJobResources, deleteJobResources, waitUntil } from './job-resources.ts';

export type AwsJobTransportsOptions = Partial<AwsSettings> & {
  bucket: string;
  /** Seconds before a received but undeleted message is delivered again. */
  visibilityTimeoutSeconds?: number;
  /** Test hook passed to every rank's transport. */
  skipDelete?: AwsTransportOptions['skipDelete'];
};

/**
 * The transports of a job whose ranks all run in this process over SQS and S3: real queues and
 * objects, created at job start and deleted at its end, also when it fails.
 */
export function awsJobTransports(options: AwsJobTransportsOptions): JobTransportsFactory {
  const { visibilityTimeoutSeconds, skipDelete, ...rest } = options;
  const settings = resolveAwsSettings(rest);
  return async (jobId, size) => {
    const clients = createAwsClients(settings);
    let queues;
    try {
      queues = await createJobResources(clients, settings, jobId, size, { ...(visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds } : {}) });
      await waitUntil(queues.readyAt);
    } catch (error) {
      clients.destroy();
      throw error;
    }
    const transports: AwsTransport[] = [];
    return {
      forThreads: { kind: 'aws', settings, jobId, size, queues },
      transport(rank) {
        const transport = new AwsTransport({ clients, settings, jobId, rank, size, queues, ...(skipDelete ? { skipDelete } : {}) });
        transports.push(transport);
        return transport;
      },
      requests: () => clients.meter.snapshot(),
      async dispose() {
        try {
          await Promise.allSettled(transports.map((t) => t.close()));
          await deleteJobResources(clients, settings, jobId, queues, size);
        } finally {
          clients.destroy();
        }
      },
    };
  };
}
