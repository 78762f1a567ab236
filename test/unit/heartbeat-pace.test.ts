import { describe, expect, it } from 'vitest';
import { DEFAULT_HEARTBEAT_MS, MAX_HEARTBEATS_PER_SECOND, heartbeatMsFor } from '../../src/runtime/job-events.ts';
import { DEFAULT_SILENCE_SECONDS } from '../../src/service/lambda-config.ts';
import { heartbeatPace, silenceLimitMs } from '../../src/service/rank-liveness.ts';

/** Every rank's heartbeats land in rank 0's queue: how fast they come must not grow with the job. */
describe('the heartbeat pace', () => {
  const sizes = [1, 2, 16, 100, 1_000, 1_999, 2_000, 2_001, 5_000, 9_999, 10_000];

  it('keeps the 5 s beat for jobs rank 0 can hear at that pace, and slows larger ones to at most 400 beats a second at rank 0', () => {
    for (const size of sizes) {
      const beatMs = heartbeatMsFor(size);
      expect(size / (beatMs / 1000)).toBeLessThanOrEqual(MAX_HEARTBEATS_PER_SECOND);
      if (size <= 2_000) expect(beatMs).toBe(DEFAULT_HEARTBEAT_MS);
      else expect(beatMs).toBeGreaterThan(DEFAULT_HEARTBEAT_MS);
    }
  });

  it('on Lambda, gives rank 0 a silence limit of at least four beats, and leaves the stage\'s limit alone where beats keep their pace', () => {
    const config = { silenceMs: DEFAULT_SILENCE_SECONDS * 1000 };
    for (const size of sizes) {
      const { heartbeatMs } = heartbeatPace(config, size);
      expect(size / (heartbeatMs / 1000)).toBeLessThanOrEqual(MAX_HEARTBEATS_PER_SECOND);
      expect(silenceLimitMs(config, size)).toBeGreaterThanOrEqual(4 * heartbeatMs);
      // A beat every quarter of the default limit is 400 a second at 1,000 ranks.
      if (size <= 1_000) expect(silenceLimitMs(config, size)).toBe(config.silenceMs);
      else expect(silenceLimitMs(config, size)).toBeGreaterThan(config.silenceMs);
    }
  });
});
