import type { ChildProcess } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * The local stack's readiness handshake. A process that starts servers for its parent writes
 * exactly one JSON line to a file descriptor the parent opened for nothing else, and closes it:
 * `{"ready":true, …what the parent needs…}`, or `{"ready":false,"error":"…"}` when it cannot start.
 *
 * Why a dedicated descriptor rather than a line in the log: logs are for people (their wording
 * changes, other output interleaves with them, a server's request log shares stdout); this
 * channel carries the protocol and nothing else, so the parent never parses prose, and a child
 * that dies before it is ready is told apart from a slow one by the child's exit.
 */
export type ReadyMessage<T extends object> = ({ ready: true } & T) | { ready: false; error: string; code?: string };

/** Writes the one line and closes the descriptor (the parent then sees the end of the channel). */
export function writeReadyLine<T extends object>(fd: number, message: ReadyMessage<T>): void {
  try {
    writeSync(fd, `${JSON.stringify(message)}\n`);
  } finally {
    closeSync(fd);
  }
}

/** The `--ready-fd N` / `localReadyFd` value: a descriptor number above stderr's. */
export function parseReadyFd(value: unknown, name: string): number {
  const fd = Number(value);
  if (!Number.isInteger(fd) || fd < 3) throw new Error(`${name} must be a file descriptor number ≥ 3 (0-2 are stdio); received ${JSON.stringify(value)}`);
  return fd;
}

/**
 * Reads the child's ready line from `channel`. Rejects, saying why, when the child reports that it
 * cannot start, exits or closes the channel without a line, sends something that is not the
 * protocol, or stays silent for `timeoutMs`.
 */
export function readReadyLine<T extends object>(channel: Readable, child: ChildProcess, timeoutMs: number): Promise<{ ready: true } & T> {
  return new Promise((resolve, reject) => {
    let text = '';
    let exitGrace: NodeJS.Timeout | undefined;
    const finish = (error: Error | undefined, value?: { ready: true } & T) => {
      clearTimeout(timer);
      clearTimeout(exitGrace);
      channel.off('data', onData);
      channel.off('end', onEnd);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value!);
    };
    const onData = (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      let message: ReadyMessage<T>;
      try {
        message = JSON.parse(text.slice(0, newline)) as ReadyMessage<T>;
      } catch {
        finish(new Error(`the ready line is not JSON: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      if (message.ready === true) finish(undefined, message);
      else if (message.ready === false) finish(Object.assign(new Error(message.error), message.code ? { code: message.code } : {}));
      else finish(new Error(`the ready line has no "ready" field: ${text.slice(0, 200)}`));
    };
    const onEnd = () => finish(new Error('it closed its ready channel without reporting'));
    // A child that reports failure exits right after: its line may still be in the pipe when the
    // exit is seen, so the exit only counts once the channel had a moment to deliver.
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      exitGrace = setTimeout(() => finish(new Error(`it exited (${signal ?? `exit code ${code}`}) before it was ready`)), 1_000);
    };
    const timer = setTimeout(() => finish(new Error(`it did not report ready within ${timeoutMs / 1000} s`)), timeoutMs);
    channel.setEncoding('utf8');
    channel.on('data', onData);
    channel.once('end', onEnd);
    child.once('exit', onExit);
  });
}
