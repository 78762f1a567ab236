import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The local S3 and SQS servers (tools/local-aws/serve-emulators.ts → startLocalAws) in a child process, so they
 * do not share an event loop with the ranks being measured: as with a real service, the servers'
 * work does not stall the client's timers and sockets, and vice versa.
 *
 * The child is a plain `node --import tsx` (not `npx`, which would leave a grandchild behind when
 * killed), started with --stop-on-stdin-end: if this process dies without stopping it, the pipe
 * closes and the child stops by itself. stop() sends SIGTERM to its PID, then SIGKILL if needed.
 */
export interface ChildAws {
  pid: number;
  s3Endpoint: string;
  sqsEndpoint: string;
  region: 'us-east-1';
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startChildAws(log: (line: string) => void, nodeArgs: string[] = []): Promise<ChildAws> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', 'tools/local-aws/serve-emulators.ts', '--s3-port', '0', '--sqs-port', '0', '--stop-on-stdin-end'],
    { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
  );
  if (child.pid === undefined) throw new Error('local AWS servers: the child process did not start');
  const pid = child.pid;
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  // If this process exits without stop() (a crash), take the child down with it.
  const killOnExit = () => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const forced = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (forced) {
      log(`local AWS servers (pid ${pid}) ignored SIGTERM for ${STOP_TIMEOUT_MS / 1e3} s; killing`);
      child.kill('SIGKILL');
      await exited;
    }
    child.stdin?.destroy();
  };

  try {
    const env = await readEndpoints(child);
    log(`local AWS servers in child pid ${pid}: S3 ${env.AWS_ENDPOINT_URL_S3}, SQS ${env.AWS_ENDPOINT_URL_SQS}`);
    return {
      pid,
      s3Endpoint: env.AWS_ENDPOINT_URL_S3!,
      sqsEndpoint: env.AWS_ENDPOINT_URL_SQS!,
      region: 'us-east-1',
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`local AWS servers did not start: ${(error as Error).message}${stderr ? `\n${stderr}` : ''}`);
  }
}

/** Reads the child's `export K=V` lines up to its "# running" line. */
function readEndpoints(child: ChildProcess): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    let buffered = '';
    const timer = setTimeout(() => finish(new Error(`no endpoints after ${START_TIMEOUT_MS / 1e3} s`)), START_TIMEOUT_MS);
    const onData = (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
        if (match) env[match[1]!] = match[2]!;
        if (line.startsWith('# running')) {
          if (!env.AWS_ENDPOINT_URL_S3 || !env.AWS_ENDPOINT_URL_SQS) finish(new Error('the child printed no endpoints'));
          else finish(undefined, env);
        }
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => finish(new Error(`the child exited (code ${code}, signal ${signal}) before it was ready`));
    const finish = (error?: Error, value?: Record<string, string>) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      // Keep draining stdout so the child never blocks on a full pipe.
      child.stdout!.resume();
      if (error) reject(error);
      else resolve(value!);
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.once('exit', onExit);
  });
}
