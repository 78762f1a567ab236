import { describe, expect, it } from 'vitest';
import { NOT_PLAIN, copyPlainData } from '../../src/mpi/codec/plain-copy.ts';

/** The copy must be what structuredClone makes, and share nothing with the original. */
function expectLikeStructuredClone(value: object): void {
  const copied = copyPlainData(value);
  expect(copied).not.toBe(NOT_PLAIN);
  expect(copied).toStrictEqual(structuredClone(value));
  expect(copied).not.toBe(value);
}

describe('copyPlainData (small messages between ranks of one thread)', () => {
  it.each([
    ['a flat object', { a: 1, b: 'x', c: true, d: null, e: undefined, f: -0, g: NaN, h: 2n ** 70n }],
    ['nested objects and arrays', { list: [1, [2, [3, { deep: 'yes' }]]], empty: {}, none: [] }],
    ['a sparse array with a property of its own', Object.assign([1, , 3, , ,], { extra: 'kept' })],
    ['an object without a prototype', Object.assign(Object.create(null), { a: 1 })],
  ])('copies %s exactly as structuredClone does', (_name, value) => {
    expectLikeStructuredClone(value as object);
  });

  it('keeps shared and cyclic references shared and cyclic', () => {
    const shared = { n: 1 };
    const value: Record<string, unknown> = { first: shared, second: shared };
    value.self = value;
    const copied = copyPlainData(value) as Record<string, any>;
    expect(copied.first).toBe(copied.second);
    expect(copied.first).not.toBe(shared);
    expect(copied.self).toBe(copied);
  });

  it('reads getters as structuredClone does, and copies their values', () => {
    const value = { get computed() { return [1, 2]; } };
    const copied = copyPlainData(value) as { computed: number[] };
    expect(Object.getOwnPropertyDescriptor(copied, 'computed')).toMatchObject({ value: [1, 2], writable: true });
  });

  it('leaves the original independent of the copy', () => {
    const value = { list: [1, 2, 3] };
    const copied = copyPlainData(value) as typeof value;
    value.list.push(4);
    expect(copied.list).toEqual([1, 2, 3]);
  });

  it.each([
    ['a Map inside', { m: new Map() }],
    ['a Date', { d: new Date(0) }],
    ['a TypedArray', { t: new Float64Array(2) }],
    ['a class instance', { c: new (class Point { x = 1; })() }],
    ['a function', { f: () => 1 }],
    ['a symbol', { s: Symbol('s') }],
    ['an own "__proto__" key', JSON.parse('{"__proto__": {"polluted": true}}')],
    ['more parts than it walks', { list: Array.from({ length: 300 }, (_, i) => ({ i })) }],
  ])('answers NOT_PLAIN for %s (structuredClone or the byte path takes it)', (_name, value) => {
    expect(copyPlainData(value as object)).toBe(NOT_PLAIN);
  });
});
