import { isJobId } from '../runtime/job-id.ts';
import type { ValkeyConnection } from '../transport/valkey/valkey-connection.ts';
import { deleteJobKeys } from '../transport/valkey/valkey-job-transports.ts';
import { jobIdOfKey, jobPattern } from '../transport/valkey/valkey-keys.ts';
import type { ValkeySettings } from '../transport/valkey/valkey-settings.ts';

/**
 * The sweeper's reach into a stage's Valkey cache: which jobs have keys there, and their deletion.
 * A job's keys are its lists and its "on" key; a rank 0 killed before its cleanup leaves them.
 * Their TTL would take them within the hour, but until then the "on" key tells a late worker its
 * job is still on, and the lists hold the cache's memory: the sweeper takes them at its next round.
 */
export interface StageCache {
  connection: ValkeyConnection;
  settings: ValkeySettings;
}

/**
 * The jobs with keys in the cache under the stage's prefix, each with when it last wrote one: a
 * key's TTL is set (the "on" key) or renewed (a list, at every push) when it is written, so its
 * remaining TTL tells when. A key without a TTL counts as written long ago: it is what the TTL
 * was meant to catch.
 */
export async function listCachedJobs({ connection: { redis }, settings }: StageCache, now: number): Promise<Map<string, number>> {
  const lastWritten = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', jobPattern(settings.keyPrefix, '*'), 'COUNT', 1000);
    const jobKeys = keys.flatMap((key) => {
      const jobId = jobIdOfKey(settings.keyPrefix, key);
      return jobId !== undefined && isJobId(jobId) ? [{ key, jobId }] : [];
    });
    const pipeline = redis.pipeline();
    for (const { key } of jobKeys) pipeline.pttl(key);
    const ttls = jobKeys.length ? (await pipeline.exec()) ?? [] : [];
    jobKeys.forEach(({ jobId }, i) => {
      const ttlMs = Number(ttls[i]?.[1]);
      // -2: the key went between the listing and the look (its job's cleanup); it says nothing.
      if (ttlMs === -2) return;
      const written = ttlMs >= 0 ? now - (settings.ttlSeconds * 1000 - ttlMs) : 0;
      lastWritten.set(jobId, Math.max(lastWritten.get(jobId) ?? 0, written));
    });
    cursor = next;
  } while (cursor !== '0');
  return lastWritten;
}

/** Deletes every key of the job in the cache; how many went. */
export function deleteCachedJob({ connection, settings }: StageCache, jobId: string): Promise<number> {
  return deleteJobKeys(connection, settings, jobId);
}
