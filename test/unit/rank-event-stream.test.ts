import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BATCH_BYTES, RankEventStream, type RankEvent } from '../../src/runtime/job-events.ts';

/** One rank's side of the watcher channel, with a recording `send` in place of the transport. */
function recorder() {
  const batches: RankEvent[][] = [];
  return { batches, send: async (events: RankEvent[]) => void batches.push(events) };
}
const line = (text: string) => ({ rank: 3, stream: 'stdout' as const, line: text, at: Date.now() });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RankEventStream', () => {
  it('sends the check-in at once, and lines printed together in one batch after flushMs', async () => {
    const { batches, send } = recorder();
    const stream = new RankEventStream({ rank: 3, send, flushMs: 50, heartbeatMs: 0 });
    stream.checkIn({ programAt: 7, coldStart: true });
    expect(batches).toEqual([[{ kind: 'started', rank: 3, at: expect.any(Number), start: { programAt: 7, coldStart: true } }]]);
    for (let i = 0; i < 100; i++) stream.output(line(`l${i}`));
    expect(batches).toHaveLength(1);
    await sleep(120);
    expect(batches).toHaveLength(2);
    expect(batches[1]).toEqual([{ kind: 'output', rank: 3, lines: Array.from({ length: 100 }, (_, i) => line(`l${i}`)).map((l) => ({ ...l, at: expect.any(Number) })) }]);
    await stream.close();
  });

  it('sends a batch at once when it reaches the batch size, so a burst never waits or grows unbounded', async () => {
    const { batches, send } = recorder();
    const stream = new RankEventStream({ rank: 3, send, flushMs: 60_000, heartbeatMs: 0 });
    const text = 'y'.repeat(1000);
    const count = Math.ceil(MAX_EVENT_BATCH_BYTES / 1016) * 3;
    for (let i = 0; i < count; i++) stream.output(line(text));
    expect(batches.length).toBe(3);
    await stream.close();
    const total = batches.flat().flatMap((e) => (e.kind === 'output' ? e.lines : []));
    expect(total).toHaveLength(count);
  });

  it('sends a heartbeat only after a quiet heartbeat period', async () => {
    const { batches, send } = recorder();
    const stream = new RankEventStream({ rank: 3, send, flushMs: 10, heartbeatMs: 100 });
    // Busy: a line every 30 ms keeps it from needing a heartbeat.
    for (let i = 0; i < 8; i++) {
      stream.output(line(`busy ${i}`));
      await sleep(30);
    }
    expect(batches.flat().some((e) => e.kind === 'heartbeat')).toBe(false);
    await sleep(350);
    expect(batches.flat().filter((e) => e.kind === 'heartbeat').length).toBeGreaterThanOrEqual(1);
    await stream.close();
    const sent = batches.length;
    await sleep(250);
    expect(batches.length).toBe(sent);
  });

  it('flushes what it holds on close and drops events after it; discard drops what it holds', async () => {
    const { batches, send } = recorder();
    const stream = new RankEventStream({ rank: 3, send, flushMs: 60_000, heartbeatMs: 0 });
    stream.output(line('before close'));
    await stream.close();
    stream.output(line('after close'));
    await stream.flush();
    expect(batches.flat().flatMap((e) => (e.kind === 'output' ? e.lines.map((l) => l.line) : []))).toEqual(['before close']);
    const other = recorder();
    const discarded = new RankEventStream({ rank: 3, send: other.send, flushMs: 60_000, heartbeatMs: 0 });
    discarded.output(line('dropped'));
    discarded.discard();
    await discarded.flush();
    expect(other.batches).toEqual([]);
  });
});
