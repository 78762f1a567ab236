import { describe, expect, it } from 'vitest';
import { ProgressLine } from '../../src/cli/progress-line.ts';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, write: (text: string) => writes.push(text) > 0 } as unknown as NodeJS.WritableStream & { writes: string[]; isTTY: boolean };
}
const progress = (started: number, finished: number) => ({ size: 4, started, finished, elapsedMs: 0 });

describe('the progress line on stderr', () => {
  it('is a plain line each time the counts change when stderr is not a terminal', () => {
    const err = stream(false);
    const line = new ProgressLine(err, 'j0b');
    line.update(progress(1, 0));
    line.update(progress(1, 0));
    line.update(progress(4, 2));
    line.around(() => err.write('output\n'));
    line.stop();
    expect(err.writes.map((w) => w.replace(/\d+\.\d s/, 'T'))).toEqual([
      'lambda-mpi: job j0b: 1/4 ranks started, 0/4 finished, T\n',
      'lambda-mpi: job j0b: 4/4 ranks started, 2/4 finished, T\n',
      'output\n',
    ]);
  });

  it('is one line redrawn in place on a terminal, cleared around output and at the end', () => {
    const err = stream(true);
    const line = new ProgressLine(err, 'j0b');
    line.update(progress(2, 0));
    line.around(() => err.write('[1] hello\n'));
    line.stop();
    expect(err.writes.map((w) => w.replace(/\d+\.\d s/, 'T'))).toEqual([
      '\r\x1b[2Klambda-mpi: job j0b: 2/4 ranks started, 0/4 finished, T',
      '\r\x1b[2K',
      '[1] hello\n',
      '\r\x1b[2Klambda-mpi: job j0b: 2/4 ranks started, 0/4 finished, T',
      '\r\x1b[2K',
    ]);
  });

  it('names the generation running in a job of generations: its counts are that generation\'s', () => {
    const err = stream(false);
    const line = new ProgressLine(err, 'j0b');
    line.update(progress(4, 0));
    line.update({ ...progress(4, 0), generation: 2 });
    line.stop();
    expect(err.writes.map((w) => w.replace(/\d+\.\d s/, 'T'))).toEqual([
      'lambda-mpi: job j0b: 4/4 ranks started, 0/4 finished, T\n',
      'lambda-mpi: job j0b: generation 2: 4/4 ranks started, 0/4 finished, T\n',
    ]);
  });
});
