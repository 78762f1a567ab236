import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/file/concat-bytes.ts';
import { delimiterEndAtOrAfter, readShare } from '../../src/file/partition.ts';

const encoder = new TextEncoder();

/** Every rank's share of `text` over `ranks`, read from memory as the File reads from S3, with the GETs counted. */
async function shares(text: string | Uint8Array, ranks: number, delimiter: string | null = '\n', lookahead?: number): Promise<{ pieces: Uint8Array[]; reads: number }> {
  const object = typeof text === 'string' ? encoder.encode(text) : text;
  let reads = 0;
  const read = async (offset: number, length: number) => {
    reads += 1;
    if (offset < 0 || length < 0 || offset + length > object.length) throw new Error(`read out of the object: ${offset}+${length} of ${object.length}`);
    return object.slice(offset, offset + length);
  };
  const pieces = await Promise.all(Array.from({ length: ranks }, (_, rank) => readShare({
    size: object.length, ranks, rank, read, ...(lookahead === undefined ? {} : { lookahead }), ...(delimiter === null ? {} : { delimiter: encoder.encode(delimiter) }),
  })));
  return { pieces, reads };
}

const text = (pieces: Uint8Array[]) => pieces.map((piece) => new TextDecoder().decode(piece));

/**
 * The shares' lengths by the definition, scanning the whole object: rank i's share ends at the
 * first delimiter end at or after floor((i+1)·size/ranks), or at the object's end.
 */
function definedShareLengths(object: Uint8Array, ranks: number, delimiter: Uint8Array): number[] {
  const endsOfDelimiters: number[] = [];
  for (let at = 0; at + delimiter.length <= object.length; at++) {
    if (delimiter.every((byte, k) => object[at + k] === byte)) endsOfDelimiters.push(at + delimiter.length);
  }
  const cuts = [0];
  for (let i = 1; i < ranks; i++) {
    const nominal = Math.floor((i * object.length) / ranks);
    cuts.push(Math.max(cuts[i - 1]!, endsOfDelimiters.find((end) => end >= nominal) ?? object.length));
  }
  cuts.push(object.length);
  return cuts.slice(1).map((cut, i) => cut - cuts[i]!);
}

describe('readPartition: every boundary moves to the end of the next delimiter', () => {
  // The boundary-case table: object, ranks, each rank's share.
  const table: Array<[string, string, number, string[]]> = [
    ['delimiter exactly at a nominal boundary (the cut stays there)', 'abc\ndef\n', 2, ['abc\n', 'def\n']],
    ['delimiter just after a nominal boundary', 'abcd\nef\n', 2, ['abcd\n', 'ef\n']],
    ['delimiter just before a nominal boundary (the record spanning it goes to the rank before)', 'ab\ncdef\n', 2, ['ab\ncdef\n', '']],
    ['no delimiter in a share: that share is empty, its bytes go with the record they belong to', 'a\nbbbbbbbbbbbbbbbbbbbb\nc\n', 4, ['a\nbbbbbbbbbbbbbbbbbbbb\n', '', '', 'c\n']],
    ['a record longer than a share, and no final delimiter', 'x\nyyyyyyyyyyyyyyyyyyyyyyyyyyyy', 3, ['x\nyyyyyyyyyyyyyyyyyyyyyyyyyyyy', '', '']],
    ['empty object', '', 3, ['', '', '']],
    ['more ranks than records', 'a\nb\n', 5, ['a\n', '', '', 'b\n', '']],
    ['more ranks than bytes', 'ab\n', 8, ['ab\n', '', '', '', '', '', '', '']],
    ['one rank gets everything', 'a\nb\nc', 1, ['a\nb\nc']],
    // Nominal boundaries at bytes 8 (the start of ü) and 16 (inside 日): both move to after a newline.
    ['multi-byte UTF-8 around the boundary', 'héé\nñü€\n日本語\n', 3, ['héé\nñü€\n', '日本語\n', '']],
    ['a delimiter of two bytes straddling a nominal boundary', 'abc\r\ndef\r\n', 2, ['abc\r\n', 'def\r\n']],
  ];
  for (const [name, object, ranks, expected] of table) {
    it(name, async () => {
      const delimiter = name.includes('two bytes') ? '\r\n' : '\n';
      const { pieces } = await shares(object, ranks, delimiter);
      expect(text(pieces)).toEqual(expected);
    });
  }

  it('a record that runs past the first read is followed read by read, also when its delimiter is split between two reads', async () => {
    // Rank 0's nominal end is byte 9; its first read stops after the \r at byte 12, the next starts with the \n.
    const { pieces, reads } = await shares(`ab${'x'.repeat(10)}\r\nyz\r\n`, 2, '\r\n', 4);
    expect(text(pieces)).toEqual([`ab${'x'.repeat(10)}\r\n`, 'yz\r\n']);
    expect(reads).toBe(3);
  });

  it('without a delimiter, the shares are the nominal byte ranges', async () => {
    const { pieces } = await shares('abcdefghij', 3, null);
    expect(text(pieces)).toEqual(['abc', 'def', 'ghij']);
  });

  it('reads each share with one request when its next record ends within the lookahead', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join('');
    const { reads } = await shares(lines, 8);
    expect(reads).toBe(8);
  });

  it('over many random objects and rank counts, the shares concatenate to the object and cut only after delimiters', async () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['a', 'é', '€', '日', '\n', '\n', 'b', '\r\n'];
    for (let trial = 0; trial < 300; trial++) {
      const length = random(200);
      const object = encoder.encode(Array.from({ length }, () => alphabet[random(alphabet.length)]).join(''));
      const ranks = 1 + random(12);
      const delimiter = random(4) === 0 ? '\r\n' : '\n';
      const d = encoder.encode(delimiter);
      // A small lookahead, so the reads that extend a share past its first window run too.
      const { pieces } = await shares(object, ranks, delimiter, 1 + random(8));
      expect(concatBytes(pieces)).toEqual(object);
      expect(pieces.map((piece) => piece.length)).toEqual(definedShareLengths(object, ranks, d));
      let at = 0;
      for (const [rank, piece] of pieces.entries()) {
        at += piece.length;
        if (piece.length === 0 || at === object.length) continue;
        // Each non-empty share but the last ends just after a delimiter.
        expect(delimiterEndAtOrAfter(object, 0, at, d)).toBe(at);
        expect(new TextDecoder('utf-8', { fatal: true }).decode(piece)).toBeTypeOf('string');
      }
    }
  });
});
