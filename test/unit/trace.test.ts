import { describe, expect, it } from 'vitest';
import { runLocal } from '../../src/index.ts';
import program from '../fixtures/traced.ts';
import type { ChromeTraceEvent } from '../../src/runtime/trace/chrome-trace.ts';

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

  it('records nothing unless asked, and refuses a trace option that is not a boolean', async () => {
    expect((await runLocal(program, { size: 3 })).trace).toBeUndefined();
    await expect(runLocal(program, { size: 3, trace: 'yes' as unknown as boolean })).rejects.toThrow(/^trace must be true or false; received "yes"$/);
  });
});
