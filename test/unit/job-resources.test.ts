import { describe, expect, it } from 'vitest';
import { resolveAwsSettings } from '../../src/config.ts';
import { MAX_SIZE } from '../../src/mpi/constants.ts';
import { CLEANUP_MARGIN_MS } from '../../src/service/lambda-config.ts';
import type { AwsClients } from '../../src/transport/aws/clients.ts';
import { createJobResources, deleteJobResources, QUEUE_CALLS_IN_FLIGHT } from '../../src/transport/aws/job-resources.ts';
import type { Clock } from '../../src/transport/clock.ts';

/** A clock that moves only when the test says: timers fire in time order, instantly. */
class FakeClock implements Clock {
  private time = 0;
  private timers: Array<{ at: number; order: number; callback: () => void }> = [];
  private order = 0;

  now(): number {
    return this.time;
  }

  schedule(callback: () => void, delayMs: number): () => void {
    const timer = { at: this.time + delayMs, order: this.order++, callback };
    this.timers.push(timer);
    return () => void (this.timers = this.timers.filter((t) => t !== timer));
  }

  /** Runs timers in time order, letting promises settle between them, until `work` settles. */
  async runUntil<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    void work.finally(() => (settled = true)).catch(() => undefined);
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled || this.timers.length === 0) return work;
      this.timers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.timers.shift()!;
      this.time = next.at;
      next.callback();
    }
  }
}

const CALL_MS = 50;

/** SQS and S3 stand-ins whose every call takes CALL_MS of the fake clock; they count what is in flight. */
function fakeClients(clock: FakeClock, objects: number) {
  let inFlight = 0;
  const seen = { maxInFlight: 0, createQueue: 0, deleteQueue: 0, listed: 0, deletedObjects: 0 };
  const answer = <T>(value: T): Promise<T> => {
    inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, inFlight);
    return new Promise((resolve) => clock.schedule(() => {
      inFlight--;
      resolve(value);
    }, CALL_MS));
  };
  const sqs = {
    send(command: { constructor: { name: string }; input: { QueueName?: string } }) {
      if (command.constructor.name === 'CreateQueueCommand') {
        seen.createQueue++;
        return answer({ QueueUrl: `https://sqs.test/000000000000/${command.input.QueueName}` });
      }
      seen.deleteQueue++;
      return answer({});
    },
  };
  const s3 = {
    send(command: { constructor: { name: string }; input: { ContinuationToken?: string; Delete?: { Objects: unknown[] } } }) {
      switch (command.constructor.name) {
        case 'ListObjectsV2Command': {
          const from = Number(command.input.ContinuationToken ?? 0);
          const page = Array.from({ length: Math.min(1000, objects - from) }, (_, i) => ({ Key: `jobs/x/${from + i}` }));
          seen.listed += page.length;
          const next = from + page.length;
          return answer({ Contents: page, IsTruncated: next < objects, NextContinuationToken: String(next) });
        }
        case 'DeleteObjectsCommand':
          seen.deletedObjects += command.input.Delete!.Objects.length;
          return answer({});
        default:
          return answer({});
      }
    },
  };
  return { clients: { sqs, s3, destroy: () => undefined } as unknown as AwsClients, seen };
}

describe('job queues at the largest job size, on a fake clock (every call 50 ms)', () => {
  const settings = resolveAwsSettings({ bucket: 'lambda-mpi-test' });

  it(`creates ${MAX_SIZE.toLocaleString('en-US')} queues ${QUEUE_CALLS_IN_FLIGHT} at a time, and says when they may be used: a second after the last`, async () => {
    const clock = new FakeClock();
    const { clients, seen } = fakeClients(clock, 0);
    const queues = await clock.runUntil(createJobResources(clients, settings, 'job', MAX_SIZE, { clock }));
    expect(seen.createQueue).toBe(MAX_SIZE);
    expect(seen.maxInFlight).toBe(QUEUE_CALLS_IN_FLIGHT);
    // HeadBucket, then MAX_SIZE / QUEUE_CALLS_IN_FLIGHT rounds of calls.
    const created = CALL_MS + (MAX_SIZE / QUEUE_CALLS_IN_FLIGHT) * CALL_MS;
    expect(clock.now()).toBe(created);
    expect(queues).toEqual({ urlBase: 'https://sqs.test/000000000000/lambda-mpi-job-', readyAt: created + 1000 });
  });

  it('deletes them and 25,000 objects within rank 0\'s cleanup margin', async () => {
    const clock = new FakeClock();
    const { clients, seen } = fakeClients(clock, 25_000);
    await clock.runUntil(deleteJobResources(clients, settings, 'job', { urlBase: 'https://sqs.test/000000000000/lambda-mpi-job-' }, MAX_SIZE));
    expect(seen.deleteQueue).toBe(MAX_SIZE);
    expect(seen.deletedObjects).toBe(25_000);
    // The queues first (MAX_SIZE / QUEUE_CALLS_IN_FLIGHT rounds), then the objects: 25 listings in
    // a row, each page deleted while the next is listed, and the last page's deletion.
    expect(clock.now()).toBe((MAX_SIZE / QUEUE_CALLS_IN_FLIGHT) * CALL_MS + 25 * CALL_MS + CALL_MS);
    expect(clock.now()).toBeLessThan(CLEANUP_MARGIN_MS);
  });
});
