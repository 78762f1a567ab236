import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { QueueReceiver } from '../../src/transport/aws/receiver.ts';
import { localSqsClient } from '../../tools/local-aws/clients.ts';

/**
 * Rank 0 judges a rank's silence only as of a moment it had read all its queue held: the receiver
 * says when that was. A message still in hand (not yet handled) or still in the queue keeps it
 * from moving past the moment the message arrived.
 */
describe('the receiver knows when its queue was last drained', () => {
  it('not while a message is in hand; once it is handled, a later poll that took all the queue held says so', async () => {
    const sqs = localSqsClient(inject('localAws').sqsEndpoint);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `lmtest-caught-up-${Date.now()}` }));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    let handleMs = 0;
    const receiver = new QueueReceiver({
      sqs, queueUrl: QueueUrl!, waitSeconds: 1,
      handle: async (messages: Message[]) => {
        await released;
        if (handleMs > 0) await new Promise((resolve) => setTimeout(resolve, handleMs));
        for (const m of messages) handled.push(m.Body!);
        return { done: messages, again: [] };
      },
      onError: (error) => {
        throw error;
      },
    });
    try {
      receiver.start();
      await until(() => receiver.caughtUpAt !== undefined);
      const sentAt = Date.now();
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'held' }));
      // The message is received and held: empty polls that follow do not count as caught up.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(receiver.caughtUpAt).toBeLessThan(sentAt);
      release();
      await until(() => (receiver.caughtUpAt ?? 0) > sentAt);
      expect(handled).toEqual(['held']);
      // Under steady traffic (fast, as a backlog drains, and slow, as heartbeats come) the queue
      // is still seen drained: a poll that took all it held counts once the polls beside it answered.
      // The last case handles each message slower than a drain poll answers (as a cold rank 0
      // does): newer drained polls must not keep displacing the one about to be confirmed.
      for (const [pauseMs, slowHandlingMs] of [[20, 0], [300, 0], [300, 400]] as const) {
        handleMs = slowHandlingMs;
        let sending = true;
        const traffic = (async () => {
          for (let i = 0; sending; i++) {
            await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `steady-${pauseMs}-${slowHandlingMs}-${i}` }));
            await new Promise((resolve) => setTimeout(resolve, pauseMs));
          }
        })();
        try {
          const before = Date.now();
          await until(() => (receiver.caughtUpAt ?? 0) > before + 2_000);
        } finally {
          sending = false;
          await traffic;
        }
      }
    } finally {
      await receiver.stop();
      await sqs.send(new DeleteQueueCommand({ QueueUrl }));
      sqs.destroy();
    }
  }, 30_000);
});

async function until(condition: () => boolean): Promise<void> {
  const limit = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > limit) throw new Error('condition not met within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
