import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { findLeftovers } from '../aws/leftovers.ts';
import { startValkeyServer, type LocalValkeyServer } from '../../tools/local-aws/valkey-server.ts';

/**
 * A Valkey server of this test file's own (redis-server or valkey-server on a free loopback
 * port), started before its tests and stopped after them. `url()` is valid once tests run.
 */
export function localValkeyServer(): { url(): string; server(): LocalValkeyServer } {
  let server: LocalValkeyServer | undefined;
  beforeAll(async () => {
    server = await startValkeyServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    url: () => {
      if (!server) throw new Error('the Valkey server is not started yet (use url() inside a test)');
      return server.url;
    },
    server: () => server!,
  };
}

/** `use` with a plain client of the server at `url`, disconnected after. */
export async function withValkeyClient<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Every key the server holds now (SCAN over the whole keyspace). */
export function keysIn(url: string): Promise<string[]> {
  return withValkeyClient(url, async (redis) => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, page] = await redis.scan(cursor, 'COUNT', 1000);
      keys.push(...page);
      cursor = next;
    } while (cursor !== '0');
    return keys.sort();
  });
}

/**
 * Registers the test that fails when a job of this file left a key in the server or an object in
 * S3 (its claim checks and shared objects). Call it after the file's other tests.
 */
export function itLeavesNothingInValkey(url: () => string, jobIds: string[], options: { s3?: boolean } = {}): void {
  it('leaves no key in the server and no object in S3 of its jobs behind, failed and timed-out jobs included', async () => {
    expect(jobIds.length, 'no job of this file was recorded, so the check would prove nothing').toBeGreaterThan(0);
    expect(await keysIn(url())).toEqual([]);
    if (options.s3) {
      const left = await findLeftovers(inject('localAws'), 'lm-valkey-none-', jobIds.map((id) => `jobs/${id}/`));
      expect(left.objects).toEqual([]);
    }
  });
}
