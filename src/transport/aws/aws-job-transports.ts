import { resolveAwsSettings, type AwsSettings } from '../../config.ts';
import type { JobTransportsFactory } from '../job-transports.ts';
import { AwsTransport, type AwsTransportOptions } from './aws-transport.ts';
import { createAwsClients } from './clients.ts';
import { JobKey } from './job-key.ts';
import { createJobResources, deleteJobResources, waitUntil } from './job-resources.ts';

export type AwsJobTransportsOptions = Partial<AwsSettings> & {
  bucket: string;
  /** Seconds before a received but undeleted message is delivered again. */
  visibilityTimeoutSeconds?: number;
  /** Test hooks passed to every rank's transport. */
  skipDelete?: AwsTransportOptions['skipDelete'];
  delay?: AwsTransportOptions['delay'];
  warn?: AwsTransportOptions['warn'];
};

/**
 * The transports of a job whose ranks all run in this process over SQS and S3: real queues and
 * objects, created at job start and deleted at its end, also when it fails. The job's key is
 * drawn here, as rank 0 draws it on Lambda, and reaches the ranks' transports (in threads: in
 * the spec posted to them) without passing through S3 or a queue.
 */
export function awsJobTransports(options: AwsJobTransportsOptions): JobTransportsFactory {
  const { visibilityTimeoutSeconds, skipDelete, delay, warn, ...rest } = options;
  const hooks = { ...(skipDelete ? { skipDelete } : {}), ...(delay ? { delay } : {}), ...(warn ? { warn } : {}) };
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
    const jobKey = JobKey.generate();
    const transports: AwsTransport[] = [];
    return {
      forThreads: { kind: 'aws', settings, jobId, size, queues, jobKey: jobKey.toText() },
      transport(rank) {
        const transport = new AwsTransport({ clients, settings, jobId, rank, size, queues, jobKey, ...hooks });
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
