/**
 * The local S3 and SQS servers (s3rver + local-aws-sqs, in this process, on 127.0.0.1).
 *
 *   npm run local-aws -- [--s3-port N] [--sqs-port N] [--bucket NAME]… [--data-dir DIR] [--verbose]
 *                        [--ready-fd N] [--stop-on-stdin-end]
 *
 * Ports default to 0 (a free port). For people, stdout is a shell snippet: the endpoints as
 * comments, then `export K=V` lines. For programs (emulator-process.ts), --ready-fd N names a
 * descriptor the parent opened: the one JSON ready line goes there instead (ready-line.ts), e.g.
 * {"ready":true,"s3Endpoint":"http://127.0.0.1:…","sqsEndpoint":"…","region":…,"credentials":…,"buckets":[…]}.
 * Stops cleanly on SIGINT/SIGTERM (the process then ends on its own: both servers are closed, no
 * handle is left). With --stop-on-stdin-end it also stops when its stdin ends: a parent holding
 * the other end of the pipe cannot leave it running, even when killed with SIGKILL.
 */
import { parseArgs } from 'node:util';
import type { LocalAwsEndpoints } from './clients.ts';
import { parseReadyFd, writeReadyLine } from './ready-line.ts';
import { startLocalAws, type LocalAws } from './servers.ts';

export type EmulatorsReady = LocalAwsEndpoints & { buckets: string[]; pid: number };

function usage(message: string): never {
  process.stderr.write(`local-aws: ${message}\nusage: npm run local-aws -- [--s3-port N] [--sqs-port N] [--bucket NAME]… [--data-dir DIR] [--verbose] [--ready-fd N] [--stop-on-stdin-end]\n`);
  process.exit(2);
}

function port(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) usage(`--${flag} needs a port number (0-65535); received ${JSON.stringify(value)}`);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      's3-port': { type: 'string' },
      'sqs-port': { type: 'string' },
      bucket: { type: 'string', multiple: true, default: [] },
      'data-dir': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'ready-fd': { type: 'string' },
      'stop-on-stdin-end': { type: 'boolean', default: false },
    },
  }).values;
} catch (error) {
  usage((error as Error).message);
}
const stopOnStdinEnd = args['stop-on-stdin-end'];
let readyFd: number | undefined;
try {
  readyFd = args['ready-fd'] === undefined ? undefined : parseReadyFd(args['ready-fd'], '--ready-fd');
} catch (error) {
  usage((error as Error).message);
}
const s3Port = port('s3-port', args['s3-port']);
const sqsPort = port('sqs-port', args['sqs-port']);
const options = {
  silent: !args.verbose,
  buckets: args.bucket,
  ...(s3Port === undefined ? {} : { s3Port }),
  ...(sqsPort === undefined ? {} : { sqsPort }),
  ...(args['data-dir'] ? { dataDir: args['data-dir'] } : {}),
};

let aws: LocalAws;
try {
  aws = await startLocalAws(options);
} catch (error) {
  const { message, code } = error as NodeJS.ErrnoException;
  if (readyFd !== undefined) writeReadyLine(readyFd, { ready: false, error: message, ...(code ? { code } : {}) });
  process.stderr.write(`local-aws: ${message}\n`);
  process.exit(1);
}

if (readyFd === undefined) {
  process.stdout.write([
    `# S3  endpoint: ${aws.s3Endpoint} (path-style; access key/secret ${aws.credentials.accessKeyId}/${aws.credentials.secretAccessKey}; data in ${aws.dataDir})`,
    `# SQS endpoint: ${aws.sqsEndpoint}`,
    ...(aws.buckets.length ? [`# buckets: ${aws.buckets.join(', ')}`] : []),
    ...Object.entries(aws.env()).map(([k, v]) => `export ${k}=${v}`),
    `# running (pid ${process.pid}); Ctrl-C or SIGTERM to stop`,
  ].join('\n') + '\n');
} else {
  const { s3Endpoint, sqsEndpoint, region, credentials, buckets } = aws;
  writeReadyLine<EmulatorsReady>(readyFd, { ready: true, s3Endpoint, sqsEndpoint, region, credentials, buckets, pid: process.pid });
}

let stopping = false;
const shutdown = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`# ${signal}: stopping\n`);
  // A resumed stdin would hold the event loop open after the servers are closed.
  if (stopOnStdinEnd) process.stdin.destroy();
  // Safety net only: if something still held the loop after stop(), say so instead of hanging.
  setTimeout(() => {
    process.stderr.write('# local-aws: handles still open after stop(), forcing exit\n');
    process.exit(1);
  }, 5000).unref();
  aws.stop().then(
    () => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      process.stderr.write('# stopped\n');
      // No process.exit(): the process ends by itself once both servers are closed.
    },
    (err: unknown) => {
      process.stderr.write(`# local-aws: stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
// An error no request's handler caught (a stream's, in s3rver or the SQS server) would end both
// servers under every client of the run or of the local stack: it is said, and they go on.
const UNCAUGHT = '# local-aws: an error no request handler caught (the servers go on):';
process.on('uncaughtException', (error) => process.stderr.write(`${UNCAUGHT} ${error.stack ?? String(error)}\n`));
process.on('unhandledRejection', (reason) => process.stderr.write(`${UNCAUGHT} ${(reason as Error)?.stack ?? String(reason)}\n`));
if (stopOnStdinEnd) {
  // 'close' also covers a pipe that errors instead of ending; the parent is gone either way.
  process.stdin.on('close', () => shutdown('SIGTERM'));
  process.stdin.on('error', () => shutdown('SIGTERM'));
  process.stdin.resume();
  // Once the parent is gone, its ends of stdout/stderr are too: a write must not crash the stop.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
}
