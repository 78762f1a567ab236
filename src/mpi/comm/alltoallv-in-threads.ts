import { RAW_HEADER_BYTES, uint8Frame } from '../codec/codec.ts';
import type { CollectiveChannel } from './collective-channel.ts';
import { elementTypeOf, prefixSums, refusal, type TypedArray, type TypedArrayConstructor } from './vector-arguments.ts';

/**
 * alltoallv for ranks in threads of one process, where a rank can read neither another's
 * ordinary memory nor let another write its own, but can move a buffer to another thread
 * without copying it (CollectiveChannel.handOver). Each rank's result travels around the ring
 * of ranks and every rank writes its block for that result straight from its send buffer as
 * the result passes by: each pair's bytes are copied once, by their sender, as Open MPI's
 * single-copy shared-memory transport does. Sending each block as a message of its own instead
 * copies it twice (into its message, then into the result), which made this collective the
 * slowest of the bench's threads rows (threads.alltoallv-1MiB.np8).
 *
 * First every rank tells each other rank how many elements it will send it and of what type
 * (one small message each, as mpi4py's programs do with Alltoall before Alltoallv), so each
 * rank can size its result and refuse a mismatched element type before any data moves. A
 * result frame is the codec's raw Uint8Array frame: the header, the result's elements, then the
 * element offset at which each source's block goes (one float64 per rank), read by the writers.
 * A rank returns once its own result came back and it has written into every other result, so
 * the program may write its send buffer again as soon as the call returns.
 */
export async function alltoallvPassingResults<T extends TypedArray>(ch: CollectiveChannel, sendbuf: T, sendcounts: readonly number[], starts: readonly number[]): Promise<{ data: T; counts: number[] }> {
  const { rank, size } = ch;
  const type = elementTypeOf(sendbuf)!;
  const width = type.BYTES_PER_ELEMENT;
  const counts = await exchangeCounts(ch, sendbuf, type, sendcounts);

  const offsets = prefixSums(counts);
  const total = offsets[size - 1]! + counts[size - 1]!;
  const tableAt = alignTo8(total * width);
  let result = uint8Frame(tableAt + size * 8).subarray(RAW_HEADER_BYTES);
  const table = new DataView(result.buffer, result.byteOffset + tableAt, size * 8);
  offsets.forEach((offset, source) => table.setFloat64(source * 8, offset, true));
  writeBlock(result, offsets[rank]!, sendbuf, starts[rank]!, sendcounts[rank]!);

  if (size > 1) {
    const next = (rank + 1) % size;
    const previous = (rank - 1 + size) % size;
    await ch.handOver!(wholeFrame(result), next, 'alltoallv');
    // The k-th result to come from the previous rank is rank - k's; the size-th is this rank's own.
    for (let k = 1; k <= size; k++) {
      const passing = (await ch.recv(previous, 'alltoallv')) as Uint8Array;
      if (k === size) {
        result = passing;
        break;
      }
      const owner = (rank - k + size) % size;
      const at = new DataView(passing.buffer, passing.byteOffset + passing.byteLength - size * 8, size * 8).getFloat64(rank * 8, true);
      writeBlock(passing, at, sendbuf, starts[owner]!, sendcounts[owner]!);
      await ch.handOver!(wholeFrame(passing), next, 'alltoallv');
    }
  }
  return { data: elementsOf(type, result, total) as T, counts };
}

/**
 * Sends each other rank `[count, element type]` for the block it will get and receives the
 * same from each; a source whose element type differs from this rank's fails the call here.
 */
async function exchangeCounts(ch: CollectiveChannel, sendbuf: TypedArray, type: TypedArrayConstructor, sendcounts: readonly number[]): Promise<number[]> {
  const { rank, size } = ch;
  const others = Array.from({ length: size - 1 }, (_, i) => (rank + 1 + i) % size);
  const received = others.map((source) => ch.recv(source, 'alltoallv') as Promise<[number, string]>);
  const sends = others.map((dest) => ch.send([sendcounts[dest]!, type.name], dest, 'alltoallv'));
  for (const send of sends) send.catch(() => undefined);
  const counts = new Array<number>(size);
  counts[rank] = sendcounts[rank]!;
  (await Promise.all(received)).forEach(([count, theirs], i) => {
    const source = others[i]!;
    if (theirs !== type.name) {
      throw refusal('sendbuf', sendbuf, `a ${type.name} on every rank (one element type everywhere)`,
        `rank ${source}'s is a ${theirs} of length ${count}, where this rank's is a ${type.name}`);
    }
    counts[source] = count;
  });
  await Promise.all(sends);
  return counts;
}

/** Copies `count` elements of `sendbuf` from `start` into the result bytes `into`, at element `at`. */
function writeBlock(into: Uint8Array, at: number, sendbuf: TypedArray, start: number, count: number): void {
  const width = sendbuf.BYTES_PER_ELEMENT;
  into.set(new Uint8Array(sendbuf.buffer, sendbuf.byteOffset + start * width, count * width), at * width);
}

/** The frame a result's bytes lie in, header included: what is handed to the next rank. */
function wholeFrame(result: Uint8Array): Uint8Array {
  return new Uint8Array(result.buffer, result.byteOffset - RAW_HEADER_BYTES, result.byteLength + RAW_HEADER_BYTES);
}

/** The result's elements where they lie (a frame's payload is aligned for every type), or a copy if not. */
function elementsOf(type: TypedArrayConstructor, bytes: Uint8Array, length: number): TypedArray {
  const ctor = type as unknown as new (buffer: ArrayBufferLike, offset: number, length: number) => TypedArray;
  if (bytes.byteOffset % type.BYTES_PER_ELEMENT === 0) return new ctor(bytes.buffer, bytes.byteOffset, length);
  return new ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + length * type.BYTES_PER_ELEMENT), 0, length);
}

function alignTo8(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}
