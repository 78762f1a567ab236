import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { forEachLine, stopChild } from './child-process.ts';
import { localAwsEnv, type LocalAwsEndpoints } from './clients.ts';
import { readReadyLine } from './ready-line.ts';
import type { EmulatorsReady } from './serve-emulators.ts';

/**
 * The one way to start the local S3 and SQS servers for a program: serve-emulators.ts in a child
 * process, which reports its endpoints through the JSON ready line on descriptor 3
 * (ready-line.ts). Used by the serverless plugin under `sls offline`, by the bench and by the
 * tests' global setup.
 *
 * A child process, not the servers in the caller's own process: their work then does not share
 * an event loop with the Lambda functions, the ranks being measured or the tests, as with a real
 * service. The child is a plain `node --import tsx` (not npx, which would leave a grandchild
 * behind when stopped), in its own process group (Ctrl-C in a terminal reaches the parent only,
 * which stops the servers in order), and watches its stdin: if the parent dies without stopping
 * it, even by SIGKILL, the pipe closes and the servers stop by themselves.
 */
export interface EmulatorProcessOptions {
  /** Ports; 0 (the default) picks free ones. */
  s3Port?: number;
  sqsPort?: number;
  /** Buckets created before the servers report ready. */
  buckets?: string[];
  /** s3rver's storage directory, kept when the servers stop. Default: a temp dir of their own, removed then. */
  dataDir?: string;
  /** s3rver's request log (to `log`). */
  verbose?: boolean;
  /** The child's own output after it is ready (its stop messages; with `verbose`, every request), line by line. */
  log?: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface EmulatorProcess extends LocalAwsEndpoints {
  pid: number;
  buckets: string[];
  /** The SDK's environment variables for these servers (`localAwsEnv`). */
  env(): Record<string, string>;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds; resolves once it has. Idempotent. */
  stop(): Promise<void>;
}

const SERVE_EMULATORS = fileURLToPath(new URL('./serve-emulators.ts', import.meta.url));
const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url));
const READY_FD = 3;
const STOP_TIMEOUT_MS = 5_000;

export async function startEmulatorProcess(options: EmulatorProcessOptions = {}): Promise<EmulatorProcess> {
  const s3Port = options.s3Port ?? 0;
  const sqsPort = options.sqsPort ?? 0;
  const child = spawn(process.execPath, [
    '--import', 'tsx', SERVE_EMULATORS,
    '--s3-port', String(s3Port),
    '--sqs-port', String(sqsPort),
    ...(options.buckets ?? []).flatMap((bucket) => ['--bucket', bucket]),
    ...(options.dataDir === undefined ? [] : ['--data-dir', options.dataDir]),
    ...(options.verbose ? ['--verbose'] : []),
    '--ready-fd', String(READY_FD),
    '--stop-on-stdin-end',
  ], {
    cwd: PROJECT_DIR,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  child.stdin!.on('error', () => undefined);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  // A parent that ends without stop() (an uncaught error, process.exit) takes the servers down.
  const onParentExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', onParentExit);

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    process.off('exit', onParentExit);
    if (await stopChild(child, 'SIGTERM', STOP_TIMEOUT_MS)) {
      options.log?.(`the S3/SQS servers (pid ${child.pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s and were killed`);
    }
    child.stdin?.destroy();
  })());

  let ready: EmulatorsReady;
  try {
    ready = await readReadyLine<EmulatorsReady>(child.stdio[READY_FD] as Readable, child, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    const { message: reason, code } = error as NodeJS.ErrnoException;
    throw Object.assign(new Error(
      `the local S3/SQS servers (S3 port ${s3Port}, SQS port ${sqsPort}) did not start: ${reason}` +
        (stderr.trim() && !stderr.includes(reason) ? `\n${stderr.trim()}` : ''),
    ), code ? { code } : {});
  }

  // Ready: the child's output goes to the caller's log, and nothing of it keeps the caller alive.
  child.stderr!.removeAllListeners('data');
  if (stderr.trim()) for (const line of stderr.trim().split('\n')) options.log?.(line);
  for (const stream of [child.stdout!, child.stderr!]) forEachLine(stream, (line) => options.log?.(line));
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr, child.stdio[READY_FD]]) (stream as { unref?: () => void } | null)?.unref?.();

  const endpoints: LocalAwsEndpoints = {
    s3Endpoint: ready.s3Endpoint,
    sqsEndpoint: ready.sqsEndpoint,
    region: ready.region,
    credentials: ready.credentials,
  };
  return { ...endpoints, pid: child.pid!, buckets: ready.buckets, env: () => localAwsEnv(endpoints), stop };
}
