import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EXIT_FAILED, EXIT_OK, UsageError, noMorePositionals, parseCommandLine, type CliIo, type Command } from '../command.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { checkStage } from '../stage.ts';
import { stageChannel } from '../channel-flag.ts';

const usage = `Usage: lambda-mpi offline [--stage local] [--channel sqs|valkey] [--http-port 3000] [--lambda-port 3002] [--s3-port 4569] [--sqs-port 9324]

Starts the whole lambda-mpi service on 127.0.0.1, with no AWS account: the run, worker and http
functions and API Gateway (serverless-offline), S3 (s3rver) and SQS (local-aws-sqs). Once it is
ready it prints, on stdout, the \`export NAME=value\` lines that point the AWS SDK, \`sls\` and
\`lambda-mpi run … --stage <stage>\` at it; then it serves until Ctrl-C (or SIGTERM), which stops
all of it. Its log (the functions' output included) goes to stderr.

Options:
  --stage <stage>        the local stage's name (default: local)
  --channel <sqs|valkey> what carries the messages (default sqs; valkey: a local valkey-server
                         or redis-server from PATH on a free port, stopped with the stack)
  --http-port <N>        API Gateway (default 3000)
  --lambda-port <N>      the Lambda invoke API (default 3002)
  --s3-port <N>          S3 (default 4569)
  --sqs-port <N>         SQS (default 9324)
  -h, --help             show this help`;

export const offlineCommand: Command = {
  name: 'offline',
  usage,
  run: offline,
};

/** What tools/local-aws/serve-offline-stack.ts reports once the stack is ready. */
interface ReadyStack {
  event: 'ready';
  stage: string;
  httpEndpoint: string;
  lambdaEndpoint: string;
  s3Endpoint: string;
  sqsEndpoint: string;
  apiKey: string;
  bucket: string;
  queuePrefix: string;
  functions: { run: string; worker: string; http: string };
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  /** The local Valkey server, on a stack over Valkey. */
  valkeyUrl?: string;
}

const PORT_FLAGS = ['http-port', 'lambda-port', 's3-port', 'sqs-port'] as const;
/** How long the stack may take to stop after Ctrl-C before it is killed. */
const STOP_GRACE_MS = 30_000;

async function offline(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    stage: { type: 'string', default: 'local' },
    channel: { type: 'string' },
    'http-port': { type: 'string' },
    'lambda-port': { type: 'string' },
    's3-port': { type: 'string' },
    'sqs-port': { type: 'string' },
  });
  noMorePositionals(positionals);
  const stage = checkStage(values.stage);
  const channel = stageChannel(values.channel);
  const portArgs: string[] = [];
  for (const flag of PORT_FLAGS) {
    const value = values[flag];
    if (value === undefined) continue;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--${flag} must be a port number in 1..65535; received ${JSON.stringify(value)}`);
    portArgs.push(`--${flag}`, String(port));
  }

  const started = Date.now();
  // The local stack lives beside the service in the package (tools/local-aws/), in TypeScript:
  // it runs as a process of its own, under tsx (a dependency of the package).
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(PACKAGE_ROOT, 'tools/local-aws/serve-offline-stack.ts'), '--stage', stage, '--channel', channel, ...portArgs], {
    cwd: PACKAGE_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  child.stderr.pipe(io.stderr, { end: false });
  child.stdin.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));

  // Ctrl-C reaches the whole process group (the stack stops by itself); SIGTERM only us. Either
  // way: close the stack's stdin, its signal to stop, and wait for it to be gone.
  let interrupted = false;
  const stop = () => {
    interrupted = true;
    child.stdin.end();
    setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    let ready = false;
    let failure: string | undefined;
    for await (const line of createInterface({ input: child.stdout })) {
      let event: ReadyStack | { event: 'failed'; message: string };
      try {
        event = JSON.parse(line);
      } catch {
        continue;
      }
      if (event.event === 'failed') failure = event.message;
      if (event.event === 'ready') {
        ready = true;
        io.stdout.write(exportLines(event).join('\n') + '\n');
        io.stderr.write(`lambda-mpi offline: stage ${stage} ready in ${((Date.now() - started) / 1000).toFixed(1)} s; run the export lines above in your shell, then e.g. \`npx lambda-mpi run hello -n 3 --stage ${stage}\`. Ctrl-C stops it.\n`);
      }
    }
    const code = await exited;
    if (!ready) {
      // The stack's own log, above, has the details; this says what failed and what to do.
      const reason = failure?.split('\n')[0]?.replace(/:$/, '') ?? `exit code ${code}`;
      const portInUse = /EADDRINUSE/.test(failure ?? '') ? '; a port is in use: choose others with --http-port, --lambda-port, --s3-port and --sqs-port' : '';
      io.stderr.write(`lambda-mpi offline: the local stack did not start (${reason})${portInUse}\n`);
      return EXIT_FAILED;
    }
    if (!interrupted) {
      io.stderr.write(`lambda-mpi offline: the local stack stopped by itself (exit code ${code})\n`);
      return EXIT_FAILED;
    }
    io.stderr.write('lambda-mpi offline: stopped\n');
    return code === 0 ? EXIT_OK : EXIT_FAILED;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/**
 * The shell lines that point a terminal at the local stage: the SDK's standard endpoint variables
 * (so `sls invoke`, the AWS CLI and any SDK client reach it), the credentials the local S3 accepts,
 * and, under LAMBDA_MPI_*, the stage's names as the functions themselves are configured.
 */
export function exportLines(stack: ReadyStack): string[] {
  const vars: Record<string, string> = {
    AWS_ENDPOINT_URL_LAMBDA: stack.lambdaEndpoint,
    AWS_ENDPOINT_URL_S3: stack.s3Endpoint,
    AWS_ENDPOINT_URL_SQS: stack.sqsEndpoint,
    AWS_ACCESS_KEY_ID: stack.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stack.credentials.secretAccessKey,
    AWS_REGION: stack.region,
    // The local S3 server stores the SDK's default aws-chunked uploads with their framing inside.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    LAMBDA_MPI_S3_PATH_STYLE: 'true',
    LAMBDA_MPI_STAGE: stack.stage,
    LAMBDA_MPI_BUCKET: stack.bucket,
    LAMBDA_MPI_QUEUE_PREFIX: stack.queuePrefix,
    LAMBDA_MPI_RUN_FUNCTION: stack.functions.run,
    LAMBDA_MPI_WORKER_FUNCTION: stack.functions.worker,
    LAMBDA_MPI_HTTP_ENDPOINT: stack.httpEndpoint,
    LAMBDA_MPI_API_KEY: stack.apiKey,
    ...(stack.valkeyUrl ? { LAMBDA_MPI_CHANNEL: 'valkey', LAMBDA_MPI_VALKEY_URL: stack.valkeyUrl } : {}),
  };
  return Object.entries(vars).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+,=-]*$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
