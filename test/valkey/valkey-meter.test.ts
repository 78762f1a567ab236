import { describe, expect, it } from 'vitest';
import { runLocal } from '../../src/index.ts';
import { RequestMeter } from '../../src/transport/aws/request-meter.ts';
import type { RequestCount } from '../../src/transport/request-counts.ts';
import { openValkeyConnection } from '../../src/transport/valkey/valkey-connection.ts';
import { resolveValkeySettings } from '../../src/transport/valkey/valkey-settings.ts';
import { itLeavesNothingInValkey, localValkeyServer, withValkeyClient } from './local-valkey.ts';

const valkey = localValkeyServer();
const jobIds: string[] = [];

/** Each rank passes a 3,000-byte array around a ring of 3, twice: six pushes of three ECPUs. */
const ring = new URL('../fixtures/ring-laps.ts', import.meta.url);
const RING_INPUT = { laps: 2, bytes: 3000 };

/** What the server says it ran since its counters were reset: calls by command name. */
function serverCalls(url: string): Promise<Record<string, number>> {
  return withValkeyClient(url, async (redis) => {
    const calls: Record<string, number> = {};
    for (const [, name, count] of (await redis.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) calls[name!.replace('|', ' ').toUpperCase()] = Number(count);
    return calls;
  });
}

function resetServerCounts(url: string): Promise<unknown> {
  return withValkeyClient(url, (redis) => redis.config('RESETSTAT'));
}

describe("a Valkey job's commands, counted for its cost", () => {
  it('counts each command a connection sends with its bytes (a pop\'s reply too) and its ECPUs (one a KiB moved, at least one)', async () => {
    const meter = new RequestMeter();
    const connection = await openValkeyConnection(resolveValkeySettings({ url: valkey.url() }), 'meter-test', meter);
    try {
      const key = 'lambda-mpi-meter-test';
      await connection.redis.rpush(key, Buffer.alloc(3000, 7));
      const popped = await connection.redis.blmpopBuffer('0', '1', key, 'LEFT', 'COUNT', '10');
      expect(popped?.[1].map((b) => b.byteLength)).toEqual([3000]);
      const counts = meter.snapshot().valkey!;
      // RPUSH: the key and the element (its reply, a number, is not counted).
      expect(counts.RPUSH).toEqual({ requests: 1, bytesSent: key.length + 3000, bytesReceived: 0, ecpus: 3 });
      // BLMPOP: its six arguments; the reply is the key and the element.
      expect(counts.BLMPOP).toEqual({ requests: 1, bytesSent: '01LEFTCOUNT10'.length + key.length, bytesReceived: key.length + 3000, ecpus: 3 });
      // The opening's own PING is a command too.
      expect(counts.PING).toEqual({ requests: 1, bytesSent: 0, bytesReceived: 0, ecpus: 1 });
    } finally {
      await connection.close();
    }
  });

  for (const threads of [false, true]) {
    it(`a job's counts are the commands the server ran: its pushes, their TTLs and its clean-up (${threads ? 'threads' : 'inline'})`, async () => {
      await resetServerCounts(valkey.url());
      const run = await runLocal(ring, { size: 3, input: RING_INPUT, transport: 'valkey', valkey: { url: valkey.url() }, threads, timeoutMs: 30_000 });
      jobIds.push(run.jobId);
      // Two laps back: each rank holds the array of the rank after it.
      expect(run.results).toEqual([1, 2, 0]);
      const server = await serverCalls(valkey.url());
      const counted = run.requests?.valkey as Record<string, RequestCount>;
      // A rank in a thread of its own reports its counts to rank 0 in its last push, which they
      // cannot hold: one push (and its TTL) a worker.
      const uncounted = threads ? 3 - 1 : 0;
      for (const command of ['RPUSH', 'PEXPIRE']) expect([command, counted[command]?.requests]).toEqual([command, server[command]! - uncounted]);
      for (const command of ['SCAN', 'UNLINK']) expect([command, counted[command]?.requests]).toEqual([command, server[command]]);
      // Six data pushes of 3,000 bytes and more: three ECPUs each at least, beside the small ones.
      expect(counted.RPUSH!.ecpus! - counted.RPUSH!.requests).toBeGreaterThanOrEqual(6 * 2);
      // The server counts a blocking pop when it answers; the meter counts also the pops a rank's
      // closing connection ended unanswered (two written ahead a rank). In threads, a worker's
      // pops after its report are its own to know.
      if (!threads) expect(counted.BLMPOP!.requests - server.BLMPOP!).toBeGreaterThanOrEqual(0);
      if (!threads) expect(counted.BLMPOP!.requests - server.BLMPOP!).toBeLessThanOrEqual(3 * 2);
    });
  }

  itLeavesNothingInValkey(() => valkey.url(), jobIds);
});
