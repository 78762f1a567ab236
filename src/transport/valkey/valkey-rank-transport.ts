import type { AwsSettings } from '../../config.ts';
import type { OpenedRankTransport } from '../aws/aws-rank-transport.ts';
import { JobKey } from '../aws/job-key.ts';
import { RequestMeter } from '../aws/request-meter.ts';
import { addRequestCounts } from '../request-counts.ts';
import { openValkeyConnection, type ValkeyConnection } from './valkey-connection.ts';
import type { ValkeySettings } from './valkey-settings.ts';
import { ValkeyTransport } from './valkey-transport.ts';

/**
 * Everything a rank in another thread needs to open its Valkey transport: plain data, so it can be
 * posted to the thread. The server was checked by valkey-job-transports.ts before any rank started.
 */
export interface ValkeyRankTransportSpec {
  kind: 'valkey';
  settings: ValkeySettings;
  jobId: string;
  size: number;
  /** The job's key in its text form (job-key.ts): threads get it by message, never through the server. */
  jobKey: string;
  /** S3 for large bodies, when the job has it. */
  aws?: AwsSettings;
  /** The job's generation on a stage (absent: 0): its lists are the generation's own. */
  generation?: number;
}

/**
 * A rank's transport with connections of its own (one to push, one to pop: a blocking pop holds
 * its connection), closed with it; S3 clients of its own when the job has S3. Its request counts
 * are both connections' commands and its S3 requests.
 */
export async function openValkeyRankTransport(spec: ValkeyRankTransportSpec, rank: number): Promise<OpenedRankTransport> {
  const jobKey = JobKey.fromText(spec.jobKey);
  if (!jobKey) throw new Error('the rank\'s transport spec carries no valid job key');
  const s3 = spec.aws ? await (await import('./job-s3.ts')).openJobS3(spec.aws, spec.jobId, { check: false }) : undefined;
  // Both connections are up before the rank says it has loaded: the job's time, which starts when
  // every rank has, is not spent connecting.
  const meter = new RequestMeter();
  const opened = await Promise.allSettled([
    openValkeyConnection(spec.settings, `${spec.jobId}-${rank}-send`, meter),
    openValkeyConnection(spec.settings, `${spec.jobId}-${rank}`, meter),
  ]);
  const failed = opened.find((o) => o.status === 'rejected');
  if (failed) {
    await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.close() : undefined)));
    s3?.destroy();
    throw failed.reason;
  }
  const [sender, receiver] = opened.map((o) => (o as PromiseFulfilledResult<ValkeyConnection>).value) as [ValkeyConnection, ValkeyConnection];
  const transport = new ValkeyTransport({
    settings: spec.settings, jobId: spec.jobId, rank, size: spec.size, jobKey,
    sender: Promise.resolve(sender), ownsSender: true, receiver: Promise.resolve(receiver), ...(s3 ? { s3 } : {}),
    ...(spec.generation ? { generation: spec.generation } : {}),
  });
  const close = transport.close.bind(transport);
  transport.close = () => close().finally(() => s3?.destroy());
  return { transport, requestCounts: () => addRequestCounts(meter.snapshot(), s3?.meter()) };
}
