import { describe, expect, it } from 'vitest';
import { RankFailedError } from '../../src/index.ts';
import * as vectors from './programs/vectors.ts';
import { ELEMENT_TYPES, countsFor, gappedReverseDispls, pairBlock, reduceCounts } from './programs/vectors.ts';
import { rejection, runOn, type ConformanceTarget } from './target.ts';

/** A job that should end in seconds fails well before vitest's own timeout if it hangs instead. */
const HANG_TIMEOUT_MS = 15_000;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The same expected entry for every element type. */
function everyType(entry: (type: string) => unknown): Record<string, unknown> {
  return Object.fromEntries(ELEMENT_TYPES.map((type) => [type, entry(type)]));
}

function ownBlocks(size: number, lengthOf: (rank: number) => number) {
  const blocks = range(size).map((rank) => range(lengthOf(rank)).map((k) => (rank * 10 + k) % 100));
  return { data: blocks.flat(), counts: blocks.map((block) => block.length) };
}

export function vectorCases(target: ConformanceTarget): void {
  describe(`buffers and variable counts over ${target.name}`, () => {
    // Every element type in each job; small sizes everywhere, the largest of the target once below.
    const sizes = target.sizes.filter((size) => size <= 4);

    for (const size of sizes) {
      const root = size - 1;
      for (const displs of [false, true]) {
        it(`scatterv cuts root ${root}'s buffer by counts with zeros${displs ? ', at gapped displacements in reverse order' : ''}, for every element type, over ${size}`, async () => {
          const r = await runOn(target, vectors.scattervEveryType, { size, input: { root, displs } });
          const counts = countsFor(size, 1);
          const starts = displs ? gappedReverseDispls(counts) : counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));
          expect(r.results).toEqual(range(size).map((rank) => everyType((type) => ({ type, values: range(counts[rank]!).map((k) => (starts[rank]! + k) % 100) }))));
        });
      }

      it(`gatherv and allgatherv concatenate every rank's buffer in rank order with its count (zeros too), for every element type, over ${size}`, async () => {
        const [gathered, allgathered] = await Promise.all([
          runOn(target, vectors.gathervEveryType, { size, input: root }),
          runOn(target, vectors.allgathervEveryType, { size }),
        ]);
        const g = ownBlocks(size, (rank) => (rank + 2) % 3);
        expect(gathered.results).toEqual(range(size).map((rank) => (rank === root ? everyType((type) => ({ type, ...g })) : everyType(() => undefined))));
        const a = ownBlocks(size, (rank) => rank % 3);
        expect(allgathered.results).toEqual(range(size).map(() => everyType((type) => ({ type, ...a }))));
      });

      for (const displs of [false, true]) {
        it(`alltoallv gives rank j what each rank sent it, in rank order, with counts learned${displs ? ', from gapped displacements in reverse order' : ''}, for every element type, over ${size}`, async () => {
          const r = await runOn(target, vectors.alltoallvEveryType, { size, input: { displs } });
          expect(r.results).toEqual(range(size).map((dest) => everyType((type) => ({
            type,
            data: range(size).flatMap((source) => pairBlock(source, dest)),
            counts: range(size).map((source) => pairBlock(source, dest).length),
          }))));
        });
      }

      it(`reduceScatter (counts with zeros) and reduceScatterBlock give rank i block i of the sum, for every element type, over ${size}`, async () => {
        const length = 2 * size + 1;
        const [uneven, block] = await Promise.all([
          runOn(target, vectors.reduceScatterEveryType, { size, input: { block: false, length } }),
          runOn(target, vectors.reduceScatterEveryType, { size, input: { block: true, length: 0 } }),
        ]);
        const sum = (n: number) => range(n).map((k) => range(size).reduce((acc, rank) => acc + ((rank + k) % 5), 0));
        const counts = reduceCounts(size, length);
        const whole = sum(length);
        expect(uneven.results).toEqual(range(size).map((rank) => {
          const start = counts.slice(0, rank).reduce((a, b) => a + b, 0);
          return everyType((type) => ({ type, values: whole.slice(start, start + counts[rank]!) }));
        }));
        const blockSum = sum(3 * size);
        expect(block.results).toEqual(range(size).map((rank) => everyType((type) => ({ type, values: blockSum.slice(3 * rank, 3 * rank + 3) }))));
      });
    }

    it('reduceScatter of a large vector agrees with a reduction done here, in equal and uneven blocks', async () => {
      const size = Math.max(...target.sizes.filter((s) => s <= 7));
      const length = 20_011;
      const r = await runOn(target, vectors.reduceScatterLarge, { size, input: length });
      const max = range(length).map((k) => Math.max(...range(size).map((rank) => (k * 31 + rank * 17) % 1000)));
      const blocks = (counts: number[]) => counts.map((count, rank) => {
        const start = counts.slice(0, rank).reduce((a, b) => a + b, 0);
        return { length: count, sum: max.slice(start, start + count).reduce((a, b) => a + b, 0) };
      });
      const even = blocks(range(size).map((i) => Math.floor(((i + 1) * length) / size) - Math.floor((i * length) / size)));
      const uneven = blocks(reduceCounts(size, length));
      expect(r.results).toEqual(range(size).map((rank) => ({ even: even[rank], uneven: uneven[rank] })));
    });

    it('reduceScatter with a non-commutative op combines in rank order', async () => {
      const size = Math.min(4, Math.max(...target.sizes));
      const r = await runOn(target, vectors.reduceScatterNonCommutative, { size });
      const digits = Number(range(size).map((rank) => rank + 1).join(''));
      expect(r.results).toEqual(range(size).map(() => [digits, digits]));
    });

    it(`the variable-count collectives run at ${Math.max(...target.sizes)} ranks`, async () => {
      const size = Math.max(...target.sizes);
      const r = await runOn(target, vectors.alltoallvEveryType, { size, input: { displs: true } });
      expect(r.results.map((result) => (result as Record<string, unknown>).Float64Array)).toEqual(range(size).map((dest) => ({
        type: 'Float64Array',
        data: range(size).flatMap((source) => pairBlock(source, dest)),
        counts: range(size).map((source) => pairBlock(source, dest).length),
      })));
    });

    it('alltoallv moves large blocks between every pair intact (through S3 on the AWS transport)', async () => {
      const size = Math.min(3, Math.max(...target.sizes));
      const perPair = 2 ** 17; // 1 MiB of Float64 per pair
      const r = await runOn(target, vectors.alltoallvLargePairs, { size, input: perPair });
      expect(r.results).toEqual(range(size).map(() => ({ intact: true, counts: range(size).map(() => perPair) })));
    });

    it('recvInto fills the front of a caller\'s buffer of every element type and says the count; PROC_NULL writes nothing', async () => {
      const r = await runOn(target, vectors.recvIntoEveryType, { size: 2 });
      expect(r.results[1]).toEqual({
        ...everyType(() => ({ status: { source: 0, tag: 4, count: 3 }, buf: [1, 2, 3, 9, 9] })),
        empty: { status: { source: 0, tag: 5, count: 0 }, buf: [7] },
        procNull: { source: -2, tag: -1, count: 0 },
      });
    });

    it('irecvInto posted before the send fills a view in the middle of a larger array, with its status; a cancelled one writes nothing', async () => {
      const r = await runOn(target, vectors.irecvIntoPosted, { size: 2, timeoutMs: HANG_TIMEOUT_MS });
      expect(r.results[1]).toEqual({
        a: { source: 0, tag: 2, count: 2 },
        b: { source: 0, tag: 3, count: 1 },
        c: { source: -2, tag: -1, count: 0 },
        whole: [-1, -1, 5, 6, -1, -1],
        big: [String(-(2n ** 62n)), '0'],
        status: { source: 0, tag: 2, bytes: 4 },
        cancelled: { cancelled: true, value: undefined, buf: [4] },
      });
    });

    it('recvInto refuses a longer message (MPI_ERR_TRUNCATE), another element type, a non-TypedArray message or buffer, naming buf', async () => {
      const r = await runOn(target, vectors.recvIntoRefusals, { size: 2, timeoutMs: HANG_TIMEOUT_MS });
      const refused = (message: RegExp) => ({ type: 'InvalidArgumentError', argument: 'buf', message: expect.stringMatching(message) });
      expect(r.results[1]).toEqual({
        longer: refused(/buf must be a Float64Array with room for the message's 4 elements \(MPI_ERR_TRUNCATE: it holds 3 elements, fewer than the 4 of the message from rank 0 \(tag 1\)\)/),
        otherType: refused(/buf must be a Float64Array like the message \(it is a Int32Array, and the message from rank 0 \(tag 2\) holds a Float64Array\)/),
        notTyped: refused(/the message from rank 0 \(tag 3\) is not a TypedArray: recvInto takes only TypedArray messages, recv takes any/),
        nonblockingLonger: refused(/holds 0 elements, fewer than the 1 of the message/),
        notABuffer: refused(/buf must be a TypedArray to receive into.*; received an array of length 2/),
        dataView: refused(/not a DataView/),
        after: { source: 0, tag: 5, count: 1 },
      });
    });

    const badCalls: Array<[string, string, RegExp]> = [
      ['scatterv counts summing past the buffer', 'counts', /counts must be counts whose sum is at most the buffer's length \(4\) \(they sum to 5, more than the 4 elements the buffer holds\)/],
      ['scatterv negative count', 'counts', /non-negative integer counts.*holds -1 for rank 1/],
      ['scatterv non-integer count', 'counts', /holds 0\.5 for rank 1/],
      ['scatterv counts of the wrong length', 'counts', /exactly size \(3\) non-negative integer counts/],
      ['scatterv displs of the wrong length', 'displs', /exactly size \(3\) non-negative integer offsets/],
      ['scatterv displacement past the end', 'displs', /puts rank 2's block at 3\.\.5, beyond the buffer's 4 elements/],
      ['scatterv negative displacement', 'displs', /holds -1 for rank 1/],
      ['scatterv of an array', 'sendbuf', /sendbuf must be a TypedArray/],
      ['gatherv of a number', 'sendbuf', /sendbuf must be a TypedArray.*received 3/],
      ['allgatherv of a DataView', 'sendbuf', /not a DataView/],
      ['alltoallv counts summing past the buffer', 'sendcounts', /sum to 4, more than the 3 elements/],
      ['alltoallv counts of the wrong length', 'sendcounts', /exactly size \(3\)/],
      ['alltoallv displacement past the end', 'sdispls', /rank 2's block at 3\.\.4/],
      ['reduceScatter counts not summing to the length', 'counts', /summing to value's length \(6\) \(they sum to 5\)/],
      ['reduceScatter of a plain array', 'value', /value must be a TypedArray/],
      ['reduceScatterBlock of a length not a multiple of the size', 'value', /a multiple of size \(3\) \(its length is 7\)/],
      ['allocate of a non-TypedArray type', 'Type', /Type must be a TypedArray constructor/],
      ['allocate of a negative length', 'length', /non-negative integer number of elements; received -1/],
    ];
    it.each(badCalls)('refuses %s at the call, naming the argument, before anything is sent', async (name, argument, message) => {
      const r = await runOn(target, vectors.badVectorCall, { size: 3, input: name, timeoutMs: HANG_TIMEOUT_MS });
      expect(r.results[0]).toMatchObject({ refused: { type: 'InvalidArgumentError', argument } });
      expect((r.results[0] as { refused: { message: string } }).refused.message).toMatch(message);
      expect(r.results.map((result) => (result as { after: number[] }).after)).toEqual(range(3).map((dest) => range(3).map((source) => source * 10 + dest)));
    });

    it.each([
      ['gatherv', 2],
      ['allgatherv', 1],
      ['alltoallv', 0],
    ] as const)('fails the job, never hangs, when one rank\'s %s buffer has another element type', async (call, odd) => {
      const error = await rejection(runOn(target, vectors.mismatchedTypes, { size: 3, input: { call, odd }, timeoutMs: HANG_TIMEOUT_MS }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error.remote.name).toBe('InvalidArgumentError');
      expect(error.message).toMatch(/sendbuf must be a (Float64Array|Int32Array) on every rank \(one element type everywhere\) \(rank \d+'s is a (Int32Array|Float64Array) of length \d, where this rank's is a (Float64Array|Int32Array)\)/);
    });

    it('allocate gives zeroed memory, shared exactly when the ranks are threads sharing the memory transport; a buffer written again after alltoallv leaves what the others received intact', async () => {
      const size = Math.min(3, Math.max(...target.sizes));
      const r = await runOn(target, vectors.allocatedAlltoallv, { size, input: { perPair: 1024, rounds: 10 } });
      const shared = target.threads === true && !/SQS|AWS|Valkey/.test(target.name);
      expect(r.results).toEqual(range(size).map(() => ({ shared, zeroed: [0, 0, 0], intact: true, counts: range(size).map(() => 1024) })));
    });
  });
}
