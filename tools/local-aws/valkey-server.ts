import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { forEachLine, stopChild } from './child-process.ts';
import { freePort } from './free-port.ts';

/** The servers that speak Valkey's protocol, in the order they are looked for on PATH. */
export const VALKEY_SERVER_COMMANDS = ['valkey-server', 'redis-server'] as const;

export interface LocalValkeyServer {
  url: string;
  port: number;
  /** Which binary runs (valkey-server or redis-server). */
  command: string;
  pid: number;
  stop(): Promise<void>;
}

/** The first of valkey-server and redis-server on PATH, or an error naming both. */
export function findValkeyServer(path = process.env.PATH ?? ''): string {
  for (const command of VALKEY_SERVER_COMMANDS) {
    for (const dir of path.split(delimiter).filter(Boolean)) {
      const candidate = join(dir, command);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this folder
      }
    }
  }
  throw new Error(`neither valkey-server nor redis-server is on PATH: install one (Debian: apt-get install redis-server; or Valkey's valkey-server)`);
}

/**
 * A Valkey (or Redis) server of its own on 127.0.0.1 and a free port, in memory only (no
 * snapshots, no append-only file), ready when this resolves; killed when this process exits.
 */
export async function startValkeyServer(options: { port?: number } = {}): Promise<LocalValkeyServer> {
  const command = findValkeyServer();
  const port = options.port ?? (await freePort());
  const child = spawn(command, ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  forEachLine(child.stdout!, (line) => output.push(line));
  forEachLine(child.stderr!, (line) => output.push(line));
  await waitForReady(child, port, output);
  child.unref();
  (child.stdout as { unref?: () => void }).unref?.();
  (child.stderr as { unref?: () => void }).unref?.();
  const stopOnExit = () => child.kill('SIGKILL');
  process.once('exit', stopOnExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    command,
    pid: child.pid!,
    async stop() {
      process.off('exit', stopOnExit);
      await stopChild(child, 'SIGTERM', 3_000);
    },
  };
}

/** Waits until the server answers PING (a raw RESP exchange: no client needed), or fails with what it printed. */
async function waitForReady(child: ChildProcess, port: number, output: string[]): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the Valkey server exited (${child.exitCode}) before it was ready: ${output.join(' | ')}`);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', () => resolve(false));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
    });
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`the Valkey server on port ${port} was not ready within 10 s: ${output.join(' | ')}`);
}
