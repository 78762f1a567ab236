import { describe, expect, it } from 'vitest';
import { defineProgram, runLocal, type Comm } from '../../src/index.ts';
import { InProcessValue, LEND_MIN_BYTES } from '../../src/mpi/codec/codec.ts';
import type { Frame, Transport } from '../../src/transport/transport.ts';

/**
 * Ranks of one thread: a send lends its TypedArray to a receive into a buffer that takes it
 * while the send call lasts (one copy, straight into the buffer), and whatever is not taken by
 * then is copied as the call returns. The sender overwrites its array right after each send: no
 * receiver may see that, however it receives (posted or late, into a buffer or as a value).
 */
const ways = ['recvInto posted', 'irecvInto posted', 'recv posted', 'recvInto late', 'recv late'] as const;
type Way = (typeof ways)[number];

/** A lent array's length (the smallest lent), and what it holds before the sender overwrites it. */
const LENT = LEND_MIN_BYTES / Float64Array.BYTES_PER_ELEMENT;
const sent = (elements: number) => Array.from({ length: elements }, (_, i) => i + 1);

/** What rank 1 received, read only once both ranks passed a barrier after the sender's overwrite. */
const receive = async (comm: Comm, way: Way, elements: number): Promise<Float64Array> => {
  if (way.startsWith('recvInto')) {
    const into = new Float64Array(elements);
    await comm.recvInto(into, 0);
    return into;
  }
  if (way === 'irecvInto posted') {
    const into = new Float64Array(elements);
    await comm.irecvInto(into, 0).wait();
    return into;
  }
  return comm.recv<Float64Array>(0);
};

/** Rank 0's array, seen from the transport's side (all ranks share this thread). */
let sentArray: Float64Array | undefined;

const exchange = defineProgram(async (comm, { way, elements }: { way: Way; elements: number }) => {
  const late = way.endsWith('late');
  if (comm.rank === 0) {
    const array = Float64Array.from(sent(elements));
    sentArray = array;
    await comm.send(array, 1);
    array.fill(-1);
    await comm.barrier();
    await comm.barrier();
    return undefined;
  }
  let got: Float64Array | undefined;
  if (!late) got = await receive(comm, way, elements);
  await comm.barrier();
  if (late) got = await receive(comm, way, elements);
  await comm.barrier();
  return Array.from(got!);
});

/** Whether each data frame rank 0 sent carried rank 0's own array at the moment it was delivered. */
function watchingDeliveries(carriedOwnArray: boolean[]) {
  return (transport: Transport, rank: number): Transport => new Proxy(transport, {
    get(target, property, receiver) {
      if (property !== 'send' || rank !== 0) return Reflect.get(target, property, receiver);
      return (frame: Frame) => {
        if (frame.kind === 'data' && frame.body instanceof InProcessValue && ArrayBuffer.isView(frame.body.value)) {
          carriedOwnArray.push(frame.body.value === sentArray);
        }
        return target.send(frame);
      };
    },
  });
}

describe('a send between ranks of one thread lends its TypedArray while the call lasts', () => {
  it.each(ways)('the receiver gets what was sent, never the sender\'s later writes (%s)', async (way) => {
    const r = await runLocal(exchange, { size: 2, input: { way, elements: LENT } });
    expect(r.results[1]).toEqual(sent(LENT));
  });

  it('hands the sender\'s own array to the transport: no copy is made before a receive can take it', async () => {
    const carried: boolean[] = [];
    await runLocal(exchange, { size: 2, input: { way: 'recvInto posted', elements: LENT }, wrapTransport: watchingDeliveries(carried) });
    expect(carried).toEqual([true]);
  });

  it('copies a smaller array at once: the transport never carries the sender\'s own array, and the receiver gets what was sent', async () => {
    const carried: boolean[] = [];
    const r = await runLocal(exchange, { size: 2, input: { way: 'recvInto posted', elements: LENT - 1 }, wrapTransport: watchingDeliveries(carried) });
    expect(carried).toEqual([false]);
    expect(r.results[1]).toEqual(sent(LENT - 1));
  });
});
