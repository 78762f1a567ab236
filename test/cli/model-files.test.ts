import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaMpi } from './run-cli.ts';

const WORDCOUNT = 'examples/wordcount-s3/wordcount.ts';
const INPUT = '{"input":"s3://my-data/book.txt","output":"s3://my-data/counts.tsv"}';

describe('lambda-mpi model --file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-files-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('models examples/wordcount-s3 over a local file given as its S3 input: its answer, and its file requests in the counts and the cost', async () => {
    const book = join(dir, 'book.txt');
    // 3,000 lines of "alpha beta gamma alpha": 12,000 words, 3 distinct.
    await writeFile(book, 'alpha beta gamma alpha\n'.repeat(3000));
    const json = await lambdaMpi('model', WORDCOUNT, '-n', '3', '--input', INPUT, '--file', `s3://my-data/book.txt=@${book}`, '--json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.result).toEqual({ words: 12000, distinct: 3 });
    expect(report.requests.files).toMatchObject({
      byOperation: { HeadObject: 1, GetObject: 3, CreateMultipartUpload: 1, UploadPart: 1, CompleteMultipartUpload: 1 },
      bytesWritten: 'alpha\t6000\nbeta\t3000\ngamma\t3000\n'.length,
    });
    expect(report.cost.files).toBeGreaterThan(0);

    const table = await lambdaMpi('model', WORDCOUNT, '-n', '2', '--input', INPUT, '--file', 's3://my-data/book.txt=1MiB');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^  files        HeadObject 1 · GetObject 2 · CreateMultipartUpload 1 · UploadPart 1 · CompleteMultipartUpload 1 /m);
    expect(table.stdout).toMatch(/^  cost .*of which files \$/m);
  }, 60_000);

  it('refuses a --file without a size or path, naming what it takes', async () => {
    const r = await lambdaMpi('model', WORDCOUNT, '-n', '2', '--input', INPUT, '--file', 's3://my-data/book.txt');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--file takes URL=SIZE .* or URL=@PATH/);
    const unit = await lambdaMpi('model', WORDCOUNT, '-n', '2', '--input', INPUT, '--file', 's3://my-data/book.txt=12parsecs');
    expect(unit.code).toBe(2);
    expect(unit.stderr).toMatch(/size must be a number of bytes.*"12parsecs"/);
  }, 60_000);
});
