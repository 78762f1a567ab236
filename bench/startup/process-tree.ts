import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** One whole process (and its children) from start to exit, as a user times it. */
export interface TimedProcess {
  seconds: number;
  /** Peak of the summed resident set of the process and its descendants, sampled every few ms (0 unless asked for). */
  peakRssMiB: number;
  stdout: string;
}

const SAMPLE_MS = 10;

/**
 * Runs `command` and times it until it exits; with `sampleRss`, samples its process tree's
 * resident set meanwhile (reading /proc costs CPU: only where the memory is the figure). A
 * non-zero exit throws.
 */
export function timeProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv, sampleRss = false, timeoutMs = 300_000): Promise<TimedProcess> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const sampler = sampleRss ? setInterval(() => (peak = Math.max(peak, treeRssBytes(child.pid!))), SAMPLE_MS) : undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearInterval(sampler);
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1e3;
      clearInterval(sampler);
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-5).join('\n')}`));
        return;
      }
      resolve({ seconds, peakRssMiB: Math.round(peak / 2 ** 20), stdout });
    });
  });
}

/** The summed VmRSS of `pid` and every process below it (Linux /proc; 0 elsewhere). */
function treeRssBytes(pid: number): number {
  let children: Map<number, number[]>;
  try {
    children = new Map();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const parent = parentOf(Number(name));
      if (parent === undefined) continue;
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent)!.push(Number(name));
    }
  } catch {
    return 0;
  }
  let total = 0;
  const pending = [pid];
  while (pending.length) {
    const next = pending.pop()!;
    total += rssOf(next);
    pending.push(...(children.get(next) ?? []));
  }
  return total;
}

function parentOf(pid: number): number | undefined {
  try {
    // The command name (in parentheses) may hold spaces: the fields after its closing one are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function rssOf(pid: number): number {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? Number(kib) * 1024 : 0;
  } catch {
    return 0;
  }
}
