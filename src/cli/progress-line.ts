import type { JobProgress } from '../runtime/job-events.ts';

/**
 * The job's progress on stderr, as `ranks started / finished of N` (of the generation running, in
 * a job of generations, which the line names) and the elapsed time since the job started. On a
 * terminal it is one line, redrawn in place (and kept below the output: it is cleared before an
 * output line is written and drawn again after); elsewhere (a pipe, a file, CI logs) a plain
 * line each time the counts change.
 */
export class ProgressLine {
  private progress: JobProgress | undefined;
  private drawn = false;
  private lastPlain = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly jobId: string,
    private readonly startedAt = Date.now(),
  ) {
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 250);
      this.timer.unref();
    }
  }

  private get tty(): boolean {
    return this.stderr.isTTY === true;
  }

  update(progress: JobProgress): void {
    this.progress = progress;
    if (this.tty) this.draw();
    else {
      const counts = this.counts();
      if (counts !== this.lastPlain) {
        this.lastPlain = counts;
        this.stderr.write(`lambda-mpi: job ${this.jobId}: ${counts}, ${seconds(Date.now() - this.startedAt)}\n`);
      }
    }
  }

  /** Writes a line of the job's output (or a message) without tearing the progress line. */
  around(write: () => void): void {
    if (!this.tty || !this.drawn) return write();
    this.stderr.write('\r\x1b[2K');
    this.drawn = false;
    write();
    this.draw();
  }

  /** Removes the line for good (the job ended: what follows is its outcome). */
  stop(): void {
    clearInterval(this.timer);
    if (this.tty && this.drawn) this.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }

  private counts(): string {
    const p = this.progress;
    if (!p) return 'starting';
    const counts = `${p.started}/${p.size} ranks started, ${p.finished}/${p.size} finished`;
    return p.generation ? `generation ${p.generation}: ${counts}` : counts;
  }

  private draw(): void {
    if (!this.progress) return;
    this.stderr.write(`\r\x1b[2Klambda-mpi: job ${this.jobId}: ${this.counts()}, ${seconds(Date.now() - this.startedAt)}`);
    this.drawn = true;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
