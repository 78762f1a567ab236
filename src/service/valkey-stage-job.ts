import type { AwsSettings } from '../config.ts';
import type { JobKey } from '../transport/aws/job-key.ts';
import { RequestMeter } from '../transport/aws/request-meter.ts';
import { addRequestCounts } from '../transport/request-counts.ts';
import type { OpenedRankTransport } from '../transport/aws/aws-rank-transport.ts';
import { openJobS3 } from '../transport/valkey/job-s3.ts';
import { openValkeyConnection, type ValkeyConnection } from '../transport/valkey/valkey-connection.ts';
import { deleteJobKeys } from '../transport/valkey/valkey-job-transports.ts';
import { generationInboxKeys, jobOnKey } from '../transport/valkey/valkey-keys.ts';
import { openValkeyRankTransport } from '../transport/valkey/valkey-rank-transport.ts';
import type { ValkeySettings } from '../transport/valkey/valkey-settings.ts';
import { ValkeyTransport } from '../transport/valkey/valkey-transport.ts';

/**
 * What a worker event's `queueUrlBase` holds on a stage over Valkey: no queue is created, but the
 * field keeps its shape (the stage's queue prefix and the job's id), so a worker checks that an
 * event is its stage's job the same way on either channel.
 */
export function valkeyQueueUrlBase(queuePrefix: string, jobId: string, generation: number): string {
  return `valkey:///${queuePrefix}-${jobId}-${generation === 0 ? '' : `g${generation}-`}`;
}

/**
 * Rank 0's side of a job on a stage over Valkey: the job's "on" key is set before any worker
 * starts (a worker's look at whether its job is on), and at the job's end every key of the job
 * goes (its lists and the "on" key), also when it failed; keys a killed rank 0 never deleted
 * expire on their own (ttlSeconds).
 */
export class ValkeyStageJob {
  private constructor(
    private readonly settings: ValkeySettings,
    private readonly aws: AwsSettings,
    readonly jobId: string,
    private readonly sender: ValkeyConnection,
    /** This generation's commands on rank 0's connections (its pushes, its pops, the job's keys). */
    private readonly meter: RequestMeter,
  ) {}

  /** Opens rank 0's pushing connection (a ConfigurationError naming the URL if no server answers) and marks the job on. */
  static async open(settings: ValkeySettings, aws: AwsSettings, jobId: string): Promise<ValkeyStageJob> {
    const meter = new RequestMeter();
    const sender = await openValkeyConnection(settings, `${jobId}-senders`, meter);
    try {
      await sender.redis.set(jobOnKey(settings.keyPrefix, jobId), '1', 'EX', settings.ttlSeconds);
    } catch (error) {
      await sender.close();
      throw error;
    }
    return new ValkeyStageJob(settings, aws, jobId, sender, meter);
  }

  /** Rank 0's transport in `generation`: S3 for claim checks and shared objects, its own popping connection. */
  async rankZeroTransport(size: number, jobKey: JobKey, generation: number): Promise<OpenedRankTransport> {
    const s3 = await openJobS3(this.aws, this.jobId, { check: false });
    const transport = new ValkeyTransport({
      settings: this.settings, jobId: this.jobId, rank: 0, size, jobKey, sender: Promise.resolve(this.sender), meter: this.meter, s3, ...(generation ? { generation } : {}),
    });
    const close = transport.close.bind(transport);
    transport.close = () => close().finally(() => s3.destroy());
    return { transport, requestCounts: () => addRequestCounts(this.meter.snapshot(), s3.meter()) };
  }

  /**
   * The job goes on in its next generation: the ended (or abandoned) generation's lists go, the
   * "on" key and every other key of the job stay. A rank of that generation still pushing
   * recreates a list of its own generation only, which the job's end deletes, or its TTL ends.
   */
  async endGeneration(generation: number, size: number): Promise<void> {
    try {
      const keys = generationInboxKeys(this.settings.keyPrefix, this.jobId, generation, size);
      for (let at = 0; at < keys.length; at += 1000) await this.sender.redis.unlink(...keys.slice(at, at + 1000));
    } finally {
      await this.sender.close();
    }
  }

  /** Deletes every key of the job, then closes the connection. */
  async end(): Promise<void> {
    try {
      if (this.sender.usable) {
        await deleteJobKeys(this.sender, this.settings, this.jobId);
      } else {
        // rank 0's connection was lost mid-job (which failed the job): a fresh one cleans up.
        const fresh = await openValkeyConnection(this.settings, `${this.jobId}-cleanup`);
        try {
          await deleteJobKeys(fresh, this.settings, this.jobId);
        } finally {
          await fresh.close();
        }
      }
    } finally {
      await this.sender.close();
    }
  }
}

/** A worker's transport in `generation`: connections of its own to push and to pop, S3 for claim checks. */
export function openWorkerValkeyTransport(settings: ValkeySettings, aws: AwsSettings, jobId: string, rank: number, size: number, jobKey: string, generation: number): Promise<OpenedRankTransport> {
  return openValkeyRankTransport({ kind: 'valkey', settings, jobId, size, jobKey, aws, ...(generation ? { generation } : {}) }, rank);
}

/** Whether the job is still on: its "on" key exists (rank 0 deletes it as the job ends). */
export async function valkeyJobIsOn(settings: ValkeySettings, jobId: string): Promise<boolean> {
  const connection = await openValkeyConnection(settings, `${jobId}-look`);
  try {
    return (await connection.redis.exists(jobOnKey(settings.keyPrefix, jobId))) === 1;
  } finally {
    await connection.close();
  }
}
