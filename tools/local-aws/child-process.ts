import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Calls `onLine` with each line a child writes to `stream` (without its line break). */
export function forEachLine(stream: Readable, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) onLine(line.replace(/\r$/, ''));
  });
}

/**
 * Asks a child to stop with `signal` and waits for its exit; after `graceMs` without one, kills
 * it (SIGKILL). Resolves to whether it had to be killed. Keeps this process alive while waiting,
 * even for a child whose handle was unref'd.
 */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return false;
  child.ref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([exited.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
  clearTimeout(timer);
  if (inTime) return false;
  child.kill('SIGKILL');
  await exited;
  return true;
}

/** Whether a process of this pid is running (signal 0 asks without sending anything). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
