import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { localSqsClient } from '../../tools/local-aws/clients.ts';
import { JobKey } from '../../src/transport/aws/job-key.ts';
import { packMessages, wireLimits, type WireFrame } from '../../src/transport/aws/wire.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../src/config.ts';
import type { ByteFrame } from '../../src/transport/transport.ts';

/**
 * Someone who can send to a job's queues (any code of the stage can) and knows lambda-mpi's
 * message format, but not the job's key: what issue 17 did by hand. Messages go straight to the
 * queues through the plain SDK, as an attacker would send them.
 */
export class Attacker {
  private readonly sqs: SQSClient;
  private readonly urls = new Map<string, string>();
  /** A key of the attacker's own: the format is right, the MAC is not the job's. */
  private readonly key = JobKey.generate();

  constructor(sqsEndpoint: string, private readonly queuePrefix: string) {
    this.sqs = localSqsClient(sqsEndpoint);
  }

  async queueOf(jobId: string, rank: number): Promise<string> {
    const name = `${this.queuePrefix}-${jobId}-${rank}`;
    let url = this.urls.get(name);
    if (!url) this.urls.set(name, (url = (await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!));
    return url;
  }

  /** Message bodies in lambda-mpi's format carrying `frames` (all for one rank), `perMessage` frames a message. */
  forge(jobId: string, frames: ByteFrame[], perMessage = 1): string[] {
    const bodies: string[] = [];
    for (let i = 0; i < frames.length; i += perMessage) {
      const wires: WireFrame[] = frames.slice(i, i + perMessage).map((frame) => ({ frame, claimChecked: false }));
      bodies.push(...packMessages(wires, wireLimits(DEFAULT_MAX_MESSAGE_BYTES), { jobId, key: this.key }));
    }
    return bodies;
  }

  /** Sends raw bodies to rank `rank`'s queue of the job, ten a call and within SQS's size limit. */
  async send(jobId: string, rank: number, bodies: string[]): Promise<void> {
    const url = await this.queueOf(jobId, rank);
    let batch: string[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const response = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: batch.map((MessageBody, i) => ({ Id: String(i), MessageBody })) }));
      if (response.Failed?.length) throw new Error(`the attack's SendMessageBatch was refused: ${response.Failed[0]!.Message}`);
      batch = [];
      bytes = 0;
    };
    for (const body of bodies) {
      if (batch.length === 10 || bytes + body.length > DEFAULT_MAX_MESSAGE_BYTES) await flush();
      batch.push(body);
      bytes += body.length;
    }
    await flush();
  }

  /**
   * Resolves once rank `rank`'s queue holds nothing, visible or in handling: every message sent
   * to it so far was received, handled (and counted) and deleted. A rank that awaits this before
   * it reports has counted the whole attack.
   */
  async drained(jobId: string, rank: number): Promise<void> {
    const url = await this.queueOf(jobId, rank);
    for (;;) {
      const { Attributes: a = {} } = await this.sqs.send(new GetQueueAttributesCommand({
        QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }));
      if (a.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0') return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.sqs.destroy();
  }
}

/** A frame as the attacker builds it. */
export function frame(fields: Partial<ByteFrame> & Pick<ByteFrame, 'source' | 'dest' | 'seq' | 'body'>): ByteFrame {
  return { kind: 'data', context: 'w', tag: 0, ...fields };
}
