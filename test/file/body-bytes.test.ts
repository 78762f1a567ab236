import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bodyBytes } from '../../src/file/body-bytes.ts';

/** A GET's body as the SDK hands it over in Node: a stream of chunks, with the SDK's own reader beside. */
function body(chunks: Uint8Array[], failure?: Error) {
  const stream = Readable.from((async function* () {
    yield* chunks;
    if (failure) throw failure;
  })());
  return Object.assign(stream, { transformToByteArray: () => Promise.reject(new Error('the SDK reader was used for a Node stream')) });
}

const bytes = (from: number, length: number) => Uint8Array.from({ length }, (_, i) => (from + i) % 251);

describe('bodyBytes (a ranged GET\'s body, read into one buffer of the asked length)', () => {
  it('returns exactly the bytes of the chunks, in order, as a plain Uint8Array whose slice is a copy', async () => {
    const chunks = [bytes(0, 5), bytes(5, 64 * 1024), bytes(5 + 64 * 1024, 3)];
    const got = await bodyBytes(body(chunks), 8 + 64 * 1024);
    expect(got).toEqual(bytes(0, 8 + 64 * 1024));
    expect(Buffer.isBuffer(got)).toBe(false);
    const copy = got.slice(0, 1);
    copy[0] = 99;
    expect(got[0]).toBe(0);
  });

  it('reports a body shorter or longer than asked by its own length, never padded or cut', async () => {
    expect((await bodyBytes(body([bytes(0, 10)]), 16)).length).toBe(10);
    const longer = await bodyBytes(body([bytes(0, 10), bytes(10, 10)]), 16);
    expect(longer.length).toBe(20);
    expect(Array.from(longer)).toEqual(Array.from(bytes(0, 20)));
  });

  it('rejects when the body fails part way', async () => {
    await expect(bodyBytes(body([bytes(0, 4)], new Error('socket hang up')), 16)).rejects.toThrow('socket hang up');
  });

  it("reads a body that is not a Node stream (another runtime's) the SDK's way", async () => {
    const web = { transformToByteArray: async () => bytes(0, 7) };
    expect(await bodyBytes(web, 7)).toEqual(bytes(0, 7));
  });
});
