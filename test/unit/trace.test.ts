import { describe, expect, it } from 'vitest';
import { runLocal } from '../../src/index.ts';
import program from '../fixtures/traced.ts';
import { buildChromeTrace, type ChromeTraceEvent } from '../../src/runtime/trace/chrome-trace.ts';

/** The job's timeline of an in-process run (runLocal's `trace`), in Chrome trace-event JSON. */
describe('runLocal({ trace: true })', () => {
  const module = new URL('../fixtures/traced.ts', import.meta.url);

  it.each([
    ['in this thread', false],
    ['in worker threads', true],
  ])('draws one track per rank %s: compute between MPI calls, each call with its peer and tag or root', async (_, threads) => {
    const { trace } = await runLocal(threads ? module : program, { size: 3, trace: true, threads });
    expect(trace).toBeDefined();
    const events = trace!.traceEvents;
    expect(events.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args?.name])).toEqual([[0, 'rank 0'], [1, 'rank 1'], [2, 'rank 2']]);
    const calls = (tid: number) => events.filter((e) => e.ph === 'X' && e.tid === tid && e.cat !== 'compute' && e.cat !== 'cleanup').map((e) => [e.name, e.cat, e.args]);
    expect(calls(0)).toEqual([['send → 1 tag 7', 'send', { peer: 1, tag: 7, bytes: 32 }], ['bcast root 2', 'wait', { root: 2 }]]);
    // A receive from ANY_SOURCE shows the rank it matched.
    expect(calls(1)).toEqual([['recv ← 0 tag 7', 'wait', { peer: 0, tag: 7, bytes: 32 }], ['bcast root 2', 'wait', { root: 2 }]]);
    expect(calls(2)).toEqual([['bcast root 2', 'wait', { root: 2 }]]);
    for (const tid of [0, 1, 2]) {
      const spans = events.filter((e) => e.ph === 'X' && e.tid === tid && e.cat !== 'cleanup').sort((a, b) => a.ts - b.ts);
      // Compute fills the time between calls: the spans tile the rank's program without overlap.
      expect(spans.at(-1)!.cat).toBe('compute');
      for (let i = 1; i < spans.length; i++) expect(spans[i]!.ts).toBeGreaterThanOrEqual(spans[i - 1]!.ts + spans[i - 1]!.dur! - 1);
      expect(spans.filter((e) => e.cat === 'compute').length).toBeGreaterThanOrEqual(1);
    }
    // One clock for every rank, also across threads: rank 1's receive ends after rank 0's send began.
    const sendBegan = events.find((e) => e.tid === 0 && e.cat === 'send')!.ts;
    const recv = events.find((e) => e.tid === 1 && e.name.startsWith('recv'))!;
    expect(recv.ts + recv.dur!).toBeGreaterThanOrEqual(sendBegan);
    expect(events.some((e: ChromeTraceEvent) => e.tid === 0 && e.name === 'clean-up' && e.cat === 'cleanup')).toBe(true);
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
  });

  it.each([
    ['in this thread', false],
    ['in worker threads', true],
  ])('starts at zero %s, and a sendrecv shows whom it sent to, whom it received from and the bytes it got', async (_, threads) => {
    const { trace } = await runLocal(new URL('../fixtures/ring-sendrecv.ts', import.meta.url), { size: 3, trace: true, threads });
    const events = trace!.traceEvents.filter((e) => e.ph !== 'M');
    expect(Math.min(...events.map((e) => e.ts))).toBeGreaterThanOrEqual(0);
    const sendrecvs = events.filter((e) => e.name.startsWith('sendrecv')).sort((a, b) => a.tid - b.tid).map((e) => [e.tid, e.name, e.args]);
    // 100 doubles: 800 bytes of data, whatever framing the transport adds.
    expect(sendrecvs).toEqual([0, 1, 2].map((rank) => [rank, `sendrecv → ${(rank + 1) % 3} tag 0`, { peer: (rank + 1) % 3, source: (rank + 2) % 3, tag: 0, bytes: expect.any(Number) }]));
    for (const [, , args] of sendrecvs) expect((args as { bytes: number }).bytes).toBeGreaterThanOrEqual(800);
  });

  it('begins at zero when a rank began before the job\'s start as rank 0 counts it (ranks in threads start beside it)', () => {
    const trace = buildChromeTrace({
      jobId: 'j', size: 2, startedAt: 10_000,
      ranks: [{ rank: 0, programMs: 2, endMs: 9 }, { rank: 1, programMs: -5, endMs: 8 }],
      spans: new Map([[1, { spans: [{ op: 'recv', start: 10_001, end: 10_004, peer: 0, tag: 0, bytes: 8 }], dropped: 0 }]]),
    });
    const spans = trace.traceEvents.filter((e) => e.ph === 'X').map((e) => [e.tid, e.name, e.ts, e.dur]);
    expect(spans).toEqual([[0, 'compute', 7000, 7000], [1, 'compute', 0, 6000], [1, 'recv ← 0 tag 0', 6000, 3000], [1, 'compute', 9000, 4000]]);
    expect(trace.otherData.startedAt).toBe(new Date(9_995).toISOString());
  });

  it('records nothing unless asked, and refuses a trace option that is not a boolean', async () => {
    expect((await runLocal(program, { size: 3 })).trace).toBeUndefined();
    await expect(runLocal(program, { size: 3, trace: 'yes' as unknown as boolean })).rejects.toThrow(/^trace must be true or false; received "yes"$/);
  });
});
