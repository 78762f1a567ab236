import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The whole local stack as one child process: `sls offline start` brings up API Gateway and
 * Lambda (serverless-offline) and, through tools/local-aws/serverless-plugin.cjs, S3 and SQS, all on 127.0.0.1.
 * Used by `npm start` and by the end-to-end tests. The child is the node process running the
 * Serverless CLI itself (not npx), so stopping it by PID stops everything it started.
 */
export interface OfflineStackOptions {
  httpPort?: number;
  lambdaPort?: number;
  s3Port?: number;
  sqsPort?: number;
  stage?: string;
  /** Each line the stack prints (its functions' logs included). */
  onLine?: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface OfflineStack {
  httpEndpoint: string;
  lambdaEndpoint: string;
  sqsEndpoint: string;
  s3Endpoint: string;
  apiKey: string;
  stage: string;
  pid: number;
  functionName(name: 'run' | 'worker' | 'http'): string;
  /** Stops serverless-offline (which stops the S3/SQS servers) and waits for it to exit. */
  stop(): Promise<void>;
}

const projectDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const slsBin = createRequire(join(projectDir, 'package.json')).resolve('serverless/bin/serverless.js');
export const LOCAL_API_KEY = 'lambda-mpi-local-api-key';

export async function startOfflineStack(options: OfflineStackOptions = {}): Promise<OfflineStack> {
  const httpPort = options.httpPort ?? 3000;
  const lambdaPort = options.lambdaPort ?? 3002;
  const s3Port = options.s3Port ?? 4569;
  const sqsPort = options.sqsPort ?? 9324;
  const stage = options.stage ?? 'dev';
  const workFolder = `.esbuild-offline-${stage}-${httpPort}`;
  const child = spawn(process.execPath, [
    slsBin, 'offline', 'start',
    '--stage', stage,
    '--httpPort', String(httpPort),
    '--lambdaPort', String(lambdaPort),
    `--param=localS3Port=${s3Port}`,
    `--param=localSqsPort=${sqsPort}`,
    // Each stack bundles into its own folder, so two stacks (or a stack and `sls package`) never collide.
    `--param=esbuildWorkFolder=${workFolder}`,
  ], {
    cwd: projectDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', FORCE_COLOR: '0' },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let s3Endpoint = '';
  let sqsEndpoint = '';
  const transcript: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sls offline start did not become ready within ${(options.readyTimeoutMs ?? 90_000) / 1000} s:\n${transcript.slice(-30).join('\n')}`)), options.readyTimeoutMs ?? 90_000);
    const onLine = (line: string) => {
      transcript.push(line);
      options.onLine?.(line);
      const endpoints = /local-aws: S3 (http:\/\/\S+) \(bucket [^)]*\), SQS (http:\/\/\S+),/.exec(line);
      if (endpoints) [, s3Endpoint = '', sqsEndpoint = ''] = endpoints;
      if (/Server ready:/.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    };
    forEachLine(child, onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sls offline start exited (code ${code}) before it was ready:\n${transcript.slice(-30).join('\n')}`));
    });
  });
  // serverless-esbuild leaves its work folder behind when offline stops: remove it with the stack.
  const stop = async () => {
    await stopChild(child, exited);
    await rm(join(projectDir, workFolder), { recursive: true, force: true });
  };
  try {
    await ready;
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    httpEndpoint: `http://127.0.0.1:${httpPort}/${stage}`,
    lambdaEndpoint: `http://127.0.0.1:${lambdaPort}`,
    s3Endpoint,
    sqsEndpoint,
    apiKey: LOCAL_API_KEY,
    stage,
    pid: child.pid!,
    functionName: (name) => `lambda-mpi-${stage}-${name}`,
    stop,
  };
}

function forEachLine(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) onLine(line.replace(/\r$/, ''));
    });
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
