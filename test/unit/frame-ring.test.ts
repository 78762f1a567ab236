import { describe, expect, it } from 'vitest';
import { InProcessValue, PrivateCopy, UnencodedView, decode, encode } from '../../src/mpi/codec/codec.ts';
import { FrameRing, createRingMemory } from '../../src/transport/threads/frame-ring.ts';
import type { Frame } from '../../src/transport/transport.ts';

const frame = (seq: number, body: Frame['body'], extra: Partial<Frame> = {}): Frame => ({
  kind: 'data', source: 3, dest: 5, seq, context: 'w.s1c0#c', tag: 7, body, ...extra,
});

function pair() {
  const memory = createRingMemory();
  return { writer: new FrameRing(memory), reader: new FrameRing(memory) };
}

function drained(reader: FrameRing): Frame[] {
  const out: Frame[] = [];
  reader.drain(5, (f) => out.push(f));
  return out;
}

describe('FrameRing (small frames between two threads through shared memory)', () => {
  it('carries plain values and bytes with every field, in order', () => {
    const { writer, reader } = pair();
    const bytes = Uint8Array.of(1, 2, 250);
    expect(writer.tryWrite(frame(0, new InProcessValue({ a: 1, b: 'x ✓', list: [true, null, 2.5] })))).toBe(true);
    expect(writer.tryWrite(frame(1, bytes, { kind: 'ctrl', context: '', tag: 0 }))).toBe(true);
    const [first, second] = drained(reader);
    expect(first).toEqual({ kind: 'data', source: 3, dest: 5, seq: 0, context: 'w.s1c0#c', tag: 7, body: new InProcessValue({ a: 1, b: 'x ✓', list: [true, null, 2.5] }) });
    expect(second).toMatchObject({ kind: 'ctrl', seq: 1, context: '', tag: 0 });
    expect(Array.from(second!.body as Uint8Array)).toEqual([1, 2, 250]);
    // A body of its own: the ring's memory is written again later.
    expect((second!.body as Uint8Array).buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(drained(reader)).toEqual([]);
  });

  it.each([
    ['undefined', undefined],
    ['a bigint', 1n],
    ['an object with an undefined property', { a: undefined }],
    ['a sparse array', [1, , 3]],
    ['a Map', new Map()],
    ['a Date', new Date(0)],
    ['an object reached twice', (() => { const shared = { n: 1 }; return { a: shared, b: shared }; })()],
    ['an own "__proto__" key', JSON.parse('{"__proto__": 1}')],
  ])('leaves %s to the port: JSON would not give it back exactly', (_name, value) => {
    const { writer, reader } = pair();
    expect(writer.tryWrite(frame(0, new InProcessValue(value)))).toBe(false);
    expect(drained(reader)).toEqual([]);
  });

  it('carries every number exactly, -0, NaN and the infinities too', () => {
    const { writer, reader } = pair();
    const numbers = [0, -0, NaN, Infinity, -Infinity, Math.PI, -1e-310, 2 ** 53 + 2, Number.MAX_VALUE];
    numbers.forEach((n, seq) => expect(writer.tryWrite(frame(seq, new InProcessValue(n)))).toBe(true));
    const values = drained(reader).map((f) => (f.body as InProcessValue).value);
    expect(values.length).toBe(numbers.length);
    values.forEach((value, i) => expect(Object.is(value, numbers[i])).toBe(true));
  });

  it('leaves frames too large for a record to the port', () => {
    const { writer } = pair();
    expect(writer.tryWrite(frame(0, new Uint8Array(9000)))).toBe(false);
    expect(writer.tryWrite(frame(0, new InProcessValue('x'.repeat(9000))))).toBe(false);
  });

  it('refuses a frame when the ring is full, and takes frames again once they are read', () => {
    const { writer, reader } = pair();
    let written = 0;
    while (writer.tryWrite(frame(written, new Uint8Array(4000)))) written++;
    expect(written).toBeGreaterThan(10);
    expect(drained(reader).map((f) => f.seq)).toEqual(Array.from({ length: written }, (_, i) => i));
    expect(writer.tryWrite(frame(written, new Uint8Array(4000)))).toBe(true);
  });

  it('keeps order and content across many wraps of the ring', () => {
    const { writer, reader } = pair();
    const received: Frame[] = [];
    let next = 0;
    for (let round = 0; round < 200; round++) {
      for (let k = 0; k < 7; k++, next++) {
        const size = (next * 977) % 3000;
        const body = Uint8Array.from({ length: size }, (_, i) => (i + next) & 255);
        expect(writer.tryWrite(frame(next, body))).toBe(true);
      }
      reader.drain(5, (f) => received.push(f));
    }
    expect(received.map((f) => f.seq)).toEqual(Array.from({ length: next }, (_, i) => i));
    const wrong = received.filter((f) => {
      const body = f.body as Uint8Array;
      return body.length !== (f.seq * 977) % 3000 || body.some((b, i) => b !== ((i + f.seq) & 255));
    });
    expect(wrong).toEqual([]);
  });

  it.each([
    ['a Uint8Array of one byte', Uint8Array.of(7)],
    ['a Float64Array', Float64Array.of(1.5, -2, Math.PI)],
    ['a BigInt64Array', BigInt64Array.of(-1n, 2n ** 62n)],
    ['a Buffer', Buffer.from('héllo')],
    ['an Int16Array viewing part of a larger buffer', new Int16Array(new ArrayBuffer(64), 6, 5).fill(-3)],
    ['a pooled-size Float32Array', new Float32Array(300).map((_, i) => i / 4)],
  ])('carries %s straight from the sender\'s array as a private copy, typed as decoding its bytes gives it', (_name, array) => {
    const { writer, reader } = pair();
    // Contexts of every length: the elements must come out aligned for their type whatever precedes them.
    for (const context of ['', 'w', 'w0#c1', 'w.s1c0#c12']) {
      expect(writer.tryWrite(frame(0, new UnencodedView(array), { context }))).toBe(true);
      const [got] = drained(reader);
      expect(got!.context).toBe(context);
      expect(got!.body).toBeInstanceOf(PrivateCopy);
      const value = (got!.body as PrivateCopy).value;
      const expected = decode(encode(array)) as ArrayBufferView;
      expect(value.constructor).toBe(expected.constructor);
      expect(value).toEqual(expected);
      expect(value.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    }
  });

  it('gives every frame its context, across contexts named before, refused frames, and more contexts than the table holds', () => {
    const { writer, reader } = pair();
    const contexts = ['w0', '', 'w0#c1', 'wé.s2'];
    for (let i = 0; i < 1500; i++) contexts.push(`w${i}`);
    const sent: string[] = [];
    let seq = 0;
    // A refused frame names no context: the next frame with it must still carry its bytes.
    expect(writer.tryWrite(frame(seq, new Uint8Array(9000), { context: 'w.refused' }))).toBe(false);
    for (let round = 0; round < 3; round++) {
      for (const context of [...contexts, 'w.refused']) {
        expect(writer.tryWrite(frame(seq++, Uint8Array.of(round), { context }))).toBe(true);
        sent.push(context);
        if (seq % 100 === 0) reader.drain(5, (f) => expect(f.context).toBe(sent[f.seq]));
      }
    }
    const rest = drained(reader);
    expect(rest.map((f) => f.context)).toEqual(sent.slice(rest[0]!.seq));
  });

  it('copies an array at write: later changes by the sender do not reach the reader', () => {
    const { writer, reader } = pair();
    const array = Uint8Array.of(1, 2, 3);
    writer.tryWrite(frame(0, new UnencodedView(array)));
    array.fill(9);
    expect(Array.from((drained(reader)[0]!.body as PrivateCopy).value as Uint8Array)).toEqual([1, 2, 3]);
  });
});
