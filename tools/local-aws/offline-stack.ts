import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { forEachLine, stopChild } from './child-process.ts';
import type { LocalAwsEndpoints } from './clients.ts';
import { LOCAL_PORTS } from './defaults.ts';
import { readReadyLine } from './ready-line.ts';
import { startValkeyServer, type LocalValkeyServer } from './valkey-server.ts';

/**
 * The whole local stack as one child process: `sls offline start` brings up API Gateway and
 * Lambda (serverless-offline) and, through serverless-plugin.cjs, S3 and SQS, all on 127.0.0.1.
 * Used by `npm start` and by the end-to-end tests.
 *
 * Readiness is a handshake, not a log line: the child gets a pipe as descriptor 3 and
 * `--param=localReadyFd=3`, and the plugin writes one JSON line there once every plugin's
 * start-up is done, i.e. serverless-offline listens on its HTTP and Lambda ports and the S3/SQS
 * servers answer (ready-line.ts). The line carries every endpoint, the bucket, the API key and
 * the function names, so nothing here restates the service's naming. Polling the ports instead
 * would need the S3/SQS ports known in advance (0 picks them at start) and could mistake another
 * process on a port for the stack.
 *
 * The child is the node process running the Serverless CLI itself (not npx), so stopping it by
 * PID stops everything it started.
 */
export interface OfflineStackOptions {
  httpPort?: number;
  lambdaPort?: number;
  s3Port?: number;
  sqsPort?: number;
  stage?: string;
  /**
   * What carries the jobs' messages: SQS (default), or `valkey`: a local valkey-server or
   * redis-server from PATH on a free loopback port, started before the stack and stopped with it.
   */
  channel?: 'sqs' | 'valkey';
  /** Stage params (serverless.yml `params`), e.g. { diagnostics: 'true', silenceSeconds: '4' }. */
  params?: Record<string, string>;
  /** Each line the stack prints (its functions' logs included). */
  onLine?: (line: string) => void;
  readyTimeoutMs?: number;
}

/** What the plugin's ready line says. */
interface StackReady extends LocalAwsEndpoints {
  stage: string;
  httpEndpoint: string;
  lambdaEndpoint: string;
  bucket: string;
  apiKey: string;
  functions: Record<string, string>;
}

export interface OfflineStack extends StackReady {
  pid: number;
  /** The local Valkey server the functions use, on a stack started with `channel: 'valkey'`. */
  valkey?: { url: string; pid: number; command: string };
  functionName(name: 'run' | 'worker' | 'http' | 'sweep'): string;
  /** Stops serverless-offline (which stops the S3/SQS servers) and waits for it to exit. */
  stop(): Promise<void>;
}

const projectDir = fileURLToPath(new URL('../../', import.meta.url));
const slsBin = createRequire(`${projectDir}package.json`).resolve('serverless/bin/serverless.js');
const READY_FD = 3;

export async function startOfflineStack(options: OfflineStackOptions = {}): Promise<OfflineStack> {
  const httpPort = options.httpPort ?? LOCAL_PORTS.http;
  const lambdaPort = options.lambdaPort ?? LOCAL_PORTS.lambda;
  const stage = options.stage ?? 'dev';
  const valkey: LocalValkeyServer | undefined = options.channel === 'valkey' ? await startValkeyServer() : undefined;
  const workFolder = `.esbuild-offline-${stage}-${httpPort}-${process.pid}`;
  const child = spawn(process.execPath, [
    slsBin, 'offline', 'start',
    '--stage', stage,
    '--httpPort', String(httpPort),
    '--lambdaPort', String(lambdaPort),
    ...(options.s3Port === undefined ? [] : [`--param=localS3Port=${options.s3Port}`]),
    ...(options.sqsPort === undefined ? [] : [`--param=localSqsPort=${options.sqsPort}`]),
    ...(valkey ? [`--param=localValkeyUrl=${valkey.url}`] : []),
    `--param=localReadyFd=${READY_FD}`,
    ...Object.entries(options.params ?? {}).map(([name, value]) => `--param=${name}=${value}`),
    // Each stack bundles into its own folder, so two stacks (or a stack and `sls package`) never collide.
    `--param=esbuildWorkFolder=${workFolder}`,
  ], {
    cwd: projectDir,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', FORCE_COLOR: '0' },
  });
  const transcript: string[] = [];
  const onLine = (line: string) => {
    transcript.push(line);
    if (transcript.length > 30) transcript.shift();
    options.onLine?.(line);
  };
  forEachLine(child.stdout!, onLine);
  forEachLine(child.stderr!, onLine);
  // serverless-esbuild leaves its work folder behind when offline stops: remove it with the stack.
  const stop = async () => {
    // SIGINT, as Ctrl-C: serverless-offline then runs every plugin's end hook (the S3/SQS servers stop).
    await stopChild(child, 'SIGINT', 15_000);
    await valkey?.stop();
    await rm(`${projectDir}${workFolder}`, { recursive: true, force: true });
  };
  let ready: StackReady;
  try {
    ready = await readReadyLine<StackReady>(child.stdio[READY_FD] as Readable, child, options.readyTimeoutMs ?? 90_000);
  } catch (error) {
    await stop();
    const { message, code } = error as NodeJS.ErrnoException;
    throw Object.assign(new Error(`sls offline start did not start: ${message}\n${transcript.join('\n')}`), code ? { code } : {});
  }
  const { ready: _, ...stack } = ready as StackReady & { ready: true };
  return {
    ...stack,
    pid: child.pid!,
    ...(valkey ? { valkey: { url: valkey.url, pid: valkey.pid, command: valkey.command } } : {}),
    functionName(name) {
      const deployed = stack.functions[name];
      if (!deployed) throw new Error(`the stack has no function "${name}"; it has ${Object.keys(stack.functions).join(', ')}`);
      return deployed;
    },
    stop,
  };
}
