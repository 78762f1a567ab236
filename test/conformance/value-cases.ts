import { describe, expect, it } from 'vitest';
import * as values from './programs/values.ts';
import { runOn, type ConformanceTarget } from './target.ts';

export function valueCases(target: ConformanceTarget): void {
  describe(`values over ${target.name}`, () => {
    it('carries every value kind of structured serialization, TypedArrays as the same type', async () => {
      const r = await runOn(target, values.everyValueKind, { size: 2 });
      expect(r.results[1]).toEqual([]);
    });

    it('gives every rank its own copy of the input: what one rank changes, no other rank and not the caller sees', async () => {
      const input = { list: [1, 2, 3], nested: { flag: false } };
      const r = await runOn(target, values.rankZeroChangesItsInput, { size: 3, input });
      expect(r.results).toEqual([
        { list: [1, 2, 3, 99], nested: { flag: true }, added: 'by rank 0' },
        { list: [1, 2, 3], nested: { flag: false } },
        { list: [1, 2, 3], nested: { flag: false } },
      ]);
      expect(input).toEqual({ list: [1, 2, 3], nested: { flag: false } });
    });

    it('copies a TypedArray on a SharedArrayBuffer at send, bare or inside an object: later changes do not reach the receiver', async () => {
      const r = await runOn(target, values.sendsSharedMemory, { size: 2 });
      expect(r.results[1]).toEqual([[1, 1, 1, 1], [1, 1, 1, 1]]);
    });

    it('gives a class instance as a plain object of its own properties on every rank, and every rank a copy of its own contribution (bcast, scatter, gather, allgather, alltoall), as mpi4py does', async () => {
      const r = await runOn(target, values.ownContributions, { size: 3 });
      const plainPoint = { kind: 'Object', x: 3, hasNorm: false, aliases: false };
      expect(r.results[0]).toEqual({
        bcast: plainPoint,
        scatter: { aliases: false, rootArrayUnchanged: true },
        gather: { aliases: false, equal: true },
        allgather: { aliases: false },
        alltoall: { aliases: false },
      });
      for (const rank of [1, 2]) expect(r.results[rank]).toEqual({ bcast: plainPoint, allgather: { aliases: false }, alltoall: { aliases: false } });
    });

    it('carries only the bytes of a view nested in a message (and probe says so), and keeps a Buffer nested in an object or a Map a Buffer', async () => {
      const r = await runOn(target, values.nestedViewsAndBuffers, { size: 2 });
      expect(r.results[1]).toEqual({
        view: { type: 'Float64Array', values: [7, 8, 9], carriesLessThanOneMiB: true, probedBytesUnderOneKiB: true },
        inObject: { isBuffer: true, text: 'in an object' },
        inMap: { isBuffer: true, text: 'in a map' },
      });
    });

    it('refuses a function or a symbol at send with an error naming the value', async () => {
      for (const kind of ['function', 'symbol']) {
        const r = await runOn(target, values.sendsUnsendable, { size: 2, input: kind });
        expect(r.result).toMatchObject({ name: 'InvalidArgumentError', argument: 'value' });
        expect((r.result as { message: string }).message).toMatch(/cannot be sent.*Functions and symbols do not travel/s);
      }
    });
  });
}
