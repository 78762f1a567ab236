import { afterAll, describe, expect, it } from 'vitest';
import { FaultInjectingTransport } from '../../src/transport/fault-injection.ts';
import { collectiveCases } from './collective-cases.ts';
import { communicatorCases } from './communicator-cases.ts';
import { failureCases } from './failure-cases.ts';
import { pointToPointCases } from './p2p-cases.ts';
import type { ConformanceTarget } from './target.ts';
import { valueCases } from './value-cases.ts';

/**
 * The whole suite again over a channel that duplicates and reorders frames on a seeded
 * schedule, as SQS standard queues may. The counts prove the faults happened and were repaired.
 */
const injected = { framesSeen: 0, duplicated: 0, delayed: 0 };
const wrappers: FaultInjectingTransport[] = [];
let seed = 1;

const faulty: ConformanceTarget = {
  name: 'the in-memory transport with duplicated and reordered frames',
  sizes: [1, 2, 3, 7, 16],
  largeMessageBytes: 8 * 2 ** 20,
  timeoutMs: 30_000,
  options: () => {
    const jobSeed = seed++;
    return {
      transport: 'memory',
      wrapTransport: (transport) => {
        const wrapped = new FaultInjectingTransport(transport, { seed: jobSeed, duplicate: 0.2, delay: 0.2, maxDelayMs: 4 });
        wrappers.push(wrapped);
        return wrapped;
      },
    };
  },
};

pointToPointCases(faulty);
valueCases(faulty);
collectiveCases(faulty);
communicatorCases(faulty);
failureCases(faulty);

describe('fault injection itself', () => {
  afterAll(() => {
    for (const w of wrappers) {
      injected.framesSeen += w.counts.framesSeen;
      injected.duplicated += w.counts.duplicated;
      injected.delayed += w.counts.delayed;
    }
    console.log(`fault injection: ${injected.framesSeen} frames, ${injected.duplicated} duplicated, ${injected.delayed} delayed (reordered)`);
  });

  it('reports the duplicates dropped and reorderings restored by the link layer', async () => {
    const { runLocal, defineProgram } = await import('../../src/index.ts');
    const program = defineProgram(async (comm) => {
      const received: number[] = [];
      if (comm.rank === 0) for (let i = 0; i < 300; i++) await comm.send(i, 1);
      else for (let i = 0; i < 300; i++) received.push(await comm.recv<number>(0));
      return received;
    });
    const r = await runLocal(program, { size: 2, ...faulty.options() });
    expect(r.results[1]).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(r.link.duplicatesDropped).toBeGreaterThan(20);
    expect(r.link.reorderedHeld).toBeGreaterThan(20);
  });
});
