import { resolveAwsSettings, type AwsSettings } from '../../config.ts';
import type { JobTransportsFactory } from '../job-transports.ts';
import type { AwsJobTransportsOptions } from '../aws/aws-job-transports.ts';
import { JobKey } from '../aws/job-key.ts';
import { RequestMeter } from '../aws/request-meter.ts';
import { addRequestCounts } from '../request-counts.ts';
import { openValkeyConnection, type ValkeyConnection } from './valkey-connection.ts';
import { jobPattern } from './valkey-keys.ts';
import { resolveValkeySettings, type ValkeySettings } from './valkey-settings.ts';
import { openJobS3, type JobS3 } from './job-s3.ts';
import { ValkeyTransport, type ValkeyTransportOptions } from './valkey-transport.ts';
import type { ValkeyRankTransportSpec } from './valkey-rank-transport.ts';

export type ValkeyJobTransportsOptions = Partial<ValkeySettings> & {
  url: string;
  /** Where a rank's one line per kind of refused message goes (tests). */
  warn?: ValkeyTransportOptions['warn'];
};

/**
 * The transports of a job whose ranks all run in this process over a Valkey server, with S3 for
 * large bodies when `aws` is given. The server is checked before any rank starts (an unreachable
 * or wrong URL is a ConfigurationError naming it); the job's keys are deleted at its end, also
 * when it failed, and expire on their own (ttlSeconds) if that end never comes.
 */
export function valkeyJobTransports(options: ValkeyJobTransportsOptions, aws?: AwsJobTransportsOptions): JobTransportsFactory {
  const { warn, ...rest } = options;
  const settings = resolveValkeySettings(rest);
  const awsSettings = aws ? resolveAwsSettings(pickAwsSettings(aws)) : undefined;
  return async (jobId, size) => {
    // The job's commands: the shared sender's and every rank's popping connection's.
    const meter = new RequestMeter();
    const sender = await openValkeyConnection(settings, `${jobId}-senders`, meter);
    let s3: JobS3 | undefined;
    try {
      s3 = awsSettings ? await openJobS3(awsSettings, jobId) : undefined;
    } catch (error) {
      await sender.close();
      throw error;
    }
    const jobKey = JobKey.generate();
    const transports: ValkeyTransport[] = [];
    return {
      forThreads: { kind: 'valkey', settings, jobId, size, jobKey: jobKey.toText(), ...(awsSettings ? { aws: awsSettings } : {}) } satisfies ValkeyRankTransportSpec,
      transport(rank) {
        const transport = new ValkeyTransport({
          settings, jobId, rank, size, jobKey, sender: Promise.resolve(sender), meter, ...(s3 ? { s3 } : {}), ...(warn ? { warn } : {}),
        });
        transports.push(transport);
        return transport;
      },
      requests: () => addRequestCounts(meter.snapshot(), s3?.meter()),
      async dispose() {
        try {
          await Promise.allSettled(transports.map((t) => t.close()));
          // A connection lost mid-job failed the job already, naming the server: a restarted
          // server holds none of the job's keys, and an unreachable one expires them (ttlSeconds).
          if (sender.usable) await deleteJobKeys(sender, settings, jobId);
          await s3?.deleteObjects();
        } finally {
          await sender.close();
          s3?.destroy();
        }
      },
    };
  };
}

/** Deletes every key of the job (SCAN by its pattern: lists of ranks that never received are there too); how many went. */
export async function deleteJobKeys({ redis }: ValkeyConnection, settings: ValkeySettings, jobId: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', jobPattern(settings.keyPrefix, jobId), 'COUNT', 1000);
    if (keys.length) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

function pickAwsSettings(options: AwsJobTransportsOptions): Partial<AwsSettings> & { bucket: string } {
  const { visibilityTimeoutSeconds: _v, skipDelete: _s, delay: _d, warn: _w, ...settings } = options;
  return settings;
}
