import { describe, expect, it } from 'vitest';
import { InProcessValue } from '../../src/mpi/codec/codec.ts';
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
    ['-0', -0],
    ['NaN', NaN],
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
});
