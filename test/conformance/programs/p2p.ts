import { ANY_SOURCE, ANY_TAG, defineProgram } from '../../../src/index.ts';

/**
 * The point-to-point cases' programs (p2p-cases.ts). Programs live in modules, not in the tests,
 * so that ranks in worker threads can load them (see ./index.ts).
 */

export const ring = defineProgram(async (comm) => {
  const right = (comm.rank + 1) % comm.size;
  const left = (comm.rank - 1 + comm.size) % comm.size;
  if (comm.rank === 0) {
    await comm.send([0], right, 3);
    return comm.recv<number[]>(left, 3);
  }
  const trail = await comm.recv<number[]>(left, 3);
  await comm.send([...trail, comm.rank], right, 3);
  return trail.length;
});

/** Senders go one at a time in `order`, each after rank 0 saw the previous message arrive. */
export const anySourceInArrivalOrder = defineProgram(async (comm, order: number[]) => {
  if (comm.rank !== 0) {
    await comm.recv(0, 1);
    await comm.send({ from: comm.rank }, 0, 100 + comm.rank);
    return undefined;
  }
  for (const sender of order) {
    await comm.send('go', sender, 1);
    await comm.probe(sender, 100 + sender);
  }
  const first = order.length > 0 ? await comm.probe(ANY_SOURCE, ANY_TAG) : undefined;
  const got: Array<[number, number, number]> = [];
  for (let i = 0; i < order.length; i++) {
    const m = await comm.recvMessage<{ from: number }>(ANY_SOURCE, ANY_TAG);
    got.push([m.source, m.tag, m.value.from]);
  }
  return { first: first?.source, got };
});

export const NON_OVERTAKING_PER_SENDER = 60;

export const nonOvertaking = defineProgram(async (comm) => {
  const perSender = NON_OVERTAKING_PER_SENDER;
  if (comm.rank !== 0) {
    const sends: Promise<void>[] = [];
    for (let i = 0; i < perSender; i++) sends.push(comm.send({ i, from: comm.rank }, 0, i % 3));
    await Promise.all(sends);
    return undefined;
  }
  // Tag 2 first by tag (it must skip over tags 0 and 1 without disturbing their order),
  // then everything else from ANY_SOURCE/ANY_TAG.
  const lastSeen = new Map<string, number>();
  const violations: string[] = [];
  const note = (source: number, tag: number, i: number) => {
    const key = `${source}/${tag}`;
    if ((lastSeen.get(key) ?? -1) >= i) violations.push(`${key}: ${i} after ${lastSeen.get(key)}`);
    lastSeen.set(key, i);
  };
  const total = (comm.size - 1) * perSender;
  const tag2 = (comm.size - 1) * Math.ceil((perSender - 2) / 3);
  for (let k = 0; k < tag2; k++) {
    const m = await comm.recvMessage<{ i: number; from: number }>(ANY_SOURCE, 2);
    if (m.tag !== 2 || m.value.from !== m.source) violations.push(`bad envelope ${JSON.stringify(m)}`);
    note(m.source, m.tag, m.value.i);
  }
  for (let k = tag2; k < total; k++) {
    const m = await comm.recvMessage<{ i: number; from: number }>();
    note(m.source, m.tag, m.value.i);
  }
  return { violations, received: [...lastSeen.keys()].length };
});

export const matchByTag = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    await comm.send('a', 1, 1);
    await comm.send('b', 1, 2);
    await comm.send('c', 1, 1);
    return undefined;
  }
  if (comm.rank === 1) return [await comm.recv(0, 2), await comm.recv(0, 1), await comm.recv(0, ANY_TAG)];
  return undefined;
});

export const sendrecvRing = defineProgram(async (comm) => {
  const right = (comm.rank + 1) % comm.size;
  const left = (comm.rank - 1 + comm.size) % comm.size;
  return comm.sendrecv(`from ${comm.rank}`, right, left, 7, 7);
});

export const probeAndIprobe = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    await comm.recv(1, 9); // wait until rank 1 has checked that nothing is there
    await comm.send(new Float64Array(10), 1, 4);
    return undefined;
  }
  const before = await comm.iprobe(0, 4);
  await comm.send('go', 0, 9);
  const seen = await comm.probe(ANY_SOURCE, ANY_TAG);
  const again = await comm.iprobe(0, 4);
  const value = await comm.recv<Float64Array>(0, 4);
  const after = await comm.iprobe(0, 4);
  return { before, seen, again, length: value.length, after };
});

export const largeTypedArray = defineProgram(async (comm, bytes: number) => {
  const n = bytes / 4;
  if (comm.rank === 0) {
    const data = new Uint32Array(n);
    for (let i = 0; i < n; i++) data[i] = (i * 2654435761) >>> 0;
    await comm.send(data, 1);
    return undefined;
  }
  const data = await comm.recv<Uint32Array>(0);
  let bad = 0;
  for (let i = 0; i < n; i++) if (data[i] !== (i * 2654435761) >>> 0) bad++;
  return { type: data.constructor.name, length: data.length, bad };
});

export const senderReusesBuffer = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    const buffer = Int32Array.of(1, 2, 3);
    const object = { list: [1, 2, 3] };
    await comm.send(buffer, 1);
    await comm.send(object, 1);
    buffer.fill(-1);
    object.list.push(99);
    await comm.send('sent after the change', 1);
    return undefined;
  }
  const buffer = await comm.recv<Int32Array>(0);
  const object = await comm.recv(0);
  await comm.recv(0);
  return { buffer: Array.from(buffer), object };
});

export const sendToSelf = defineProgram(async (comm) => {
  await comm.send({ me: comm.rank }, comm.rank, 5);
  return comm.recv(comm.rank, 5);
});

/** Rank 0 sends 0..count-1 to rank 1 without waiting; rank 1 returns them in the order received. */
export const numberedStream = defineProgram(async (comm, count: number) => {
  if (comm.rank === 0) {
    await Promise.all(Array.from({ length: count }, (_, i) => comm.send(i, 1)));
    return undefined;
  }
  const received: number[] = [];
  for (let i = 0; i < count; i++) received.push(await comm.recv<number>(0));
  return received;
});
