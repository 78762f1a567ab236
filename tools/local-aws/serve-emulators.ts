/**
 * Start the local AWS stack (s3rver + local-aws-sqs, in this process, on 127.0.0.1).
 *
 *   npx tsx tools/local-aws/serve-emulators.ts [--s3-port N] [--sqs-port N] [--data-dir DIR] [--verbose] [--stop-on-stdin-end]
 *
 * Ports default to 0 (a free port). stdout is a shell snippet: the endpoints as comments, then
 * `export K=V` lines, so `eval "$(…)"`-style use works. Stops cleanly on SIGINT/SIGTERM (the
 * process then exits on its own: both servers are closed, no handle is left).
 * With --stop-on-stdin-end it also stops when its stdin ends: a parent that holds the other end of
 * a pipe (tools/local-aws/serverless-plugin.cjs under `sls offline`) cannot leave it running even if killed -9.
 */
import { startLocalAws } from './servers.ts';

function usage(msg?: string): never {
  if (msg) process.stderr.write(`local-aws: ${msg}\n`);
  process.stderr.write('usage: tsx tools/local-aws/serve-emulators.ts [--s3-port N] [--sqs-port N] [--data-dir DIR] [--verbose] [--stop-on-stdin-end]\n');
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const out: { s3Port?: number; sqsPort?: number; dataDir?: string; silent: boolean; stopOnStdinEnd: boolean } = { silent: true, stopOnStdinEnd: false };
  const port = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 0 || n > 65535) usage(`${flag} needs a port number (0-65535)`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--s3-port':
        out.s3Port = port(flag, value());
        break;
      case '--sqs-port':
        out.sqsPort = port(flag, value());
        break;
      case '--data-dir': {
        const v = value();
        if (!v) usage('--data-dir needs a directory');
        out.dataDir = v;
        break;
      }
      case '--verbose':
        out.silent = false;
        break;
      case '--stop-on-stdin-end':
        out.stopOnStdinEnd = true;
        break;
      case '-h':
      case '--help':
        usage();
      default:
        usage(`unknown argument ${argv[i]}`);
    }
  }
  return out;
}

const { stopOnStdinEnd, ...options } = parseArgs(process.argv.slice(2));
const aws = await startLocalAws(options);

const lines = [
  `# S3  endpoint: ${aws.s3Endpoint} (path-style; access key/secret S3RVER/S3RVER; data in ${aws.dataDir})`,
  `# SQS endpoint: ${aws.sqsEndpoint}`,
  ...Object.entries(aws.env()).map(([k, v]) => `export ${k}=${v}`),
  `# running (pid ${process.pid}); Ctrl-C or SIGTERM to stop`,
];
process.stdout.write(lines.join('\n') + '\n');

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
if (stopOnStdinEnd) {
  // 'close' also covers a pipe that errors instead of ending; the parent is gone either way.
  process.stdin.on('close', () => shutdown('SIGTERM'));
  process.stdin.on('error', () => shutdown('SIGTERM'));
  process.stdin.resume();
  // Once the parent is gone, its ends of stdout/stderr are too: a write must not crash the stop.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
}
