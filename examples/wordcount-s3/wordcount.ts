/**
 * A word count over a text object on S3, the MapReduce way with MPI-IO:
 * every rank reads its share of the object's lines (readPartition), counts the words in it,
 * sends each word's count to the rank that owns the word (alltoallv), adds up the counts it owns,
 * and writes its lines of the result in rank order into one object (writeOrdered), which appears,
 * whole, when the file is closed.
 *
 *   lambda-mpi run examples/wordcount-s3/wordcount.ts -n 4 \
 *     --input '{"input":"s3://my-data/book.txt","output":"s3://my-data/counts.tsv"}' --result
 */
import { File, defineProgram, type Comm } from 'lambda-mpi';

interface Input {
  input: string;
  output: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Words are runs of letters and digits (any script), lower-cased. */
function countWords(text: string, counts = new Map<string, number>()): Map<string, number> {
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

/** The rank that owns a word: the same on every rank (FNV-1a of its UTF-8 bytes). */
function owner(word: string, size: number): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(word)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash % size;
}

/** Each rank's words and counts as `word\tcount\n` lines, one block per destination. */
async function shuffle(comm: Comm, counts: Map<string, number>): Promise<Map<string, number>> {
  const blocks: string[][] = Array.from({ length: comm.size }, () => []);
  for (const [word, count] of counts) blocks[owner(word, comm.size)]!.push(`${word}\t${count}\n`);
  const encoded = blocks.map((lines) => encoder.encode(lines.join('')));
  const sendbuf = new Uint8Array(encoded.reduce((sum, block) => sum + block.length, 0));
  let at = 0;
  for (const block of encoded) {
    sendbuf.set(block, at);
    at += block.length;
  }
  const received = await comm.alltoallv(sendbuf, encoded.map((block) => block.length));
  const mine = new Map<string, number>();
  for (const line of decoder.decode(received.data).split('\n')) {
    if (!line) continue;
    const [word, count] = line.split('\t');
    mine.set(word!, (mine.get(word!) ?? 0) + Number(count));
  }
  return mine;
}

export default defineProgram(async (comm, input: Input) => {
  const source = await File.open(comm, input.input);
  const share = await source.readPartition({ delimiter: '\n' });
  await source.close();

  const owned = await shuffle(comm, countWords(decoder.decode(share)));
  const lines = [...owned].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([word, count]) => `${word}\t${count}\n`).join('');

  const target = await File.open(comm, input.output, 'w');
  await target.writeOrdered(lines);
  await target.close();

  const words = await comm.reduce([...owned.values()].reduce((sum, count) => sum + count, 0), undefined, 0);
  const distinct = await comm.reduce(owned.size, undefined, 0);
  if (comm.rank === 0) console.log(`${words} words, ${distinct} distinct, from ${source.url} into ${target.url}`);
  return comm.rank === 0 ? { words, distinct } : undefined;
});
