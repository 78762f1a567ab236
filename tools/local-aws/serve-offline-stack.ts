/**
 * The whole local stack (tools/local-aws/offline-stack.ts) as a process of its own, for
 * `lambda-mpi offline`, which may not import tools/ (the package's import rules) and so runs this.
 *
 *   tsx tools/local-aws/serve-offline-stack.ts [--stage S] [--channel sqs|valkey] [--http-port N] [--lambda-port N] [--s3-port N] [--sqs-port N]
 *
 * stdout carries one JSON line when the stack is ready, `{"event":"ready", …endpoints, names}`, or
 * `{"event":"failed","message"}` when it could not start (exit code 1). stderr carries the stack's
 * own log (serverless-offline's, the functions' output). It stops the stack, and exits, on SIGINT,
 * on SIGTERM, and when its stdin ends: a parent holding the other end of the pipe cannot leave it
 * running, even if it is killed.
 */
import { parseArgs } from 'node:util';
import { startOfflineStack } from './offline-stack.ts';

const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: 'local' },
    channel: { type: 'string', default: 'sqs' },
    'http-port': { type: 'string', default: '3000' },
    'lambda-port': { type: 'string', default: '3002' },
    's3-port': { type: 'string', default: '4569' },
    'sqs-port': { type: 'string', default: '9324' },
  },
});
const port = (name: keyof typeof values) => Number(values[name]);
const stage = values.stage;

const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
let stopRequested = false;
const requestStop = () => {
  stopRequested = true;
};
process.on('SIGINT', requestStop);
process.on('SIGTERM', requestStop);
process.stdin.on('close', requestStop);
process.stdin.on('error', requestStop);
process.stdin.resume();
// Once the parent is gone, so are its ends of stdout/stderr: a write must not crash the stop.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

try {
  const stack = await startOfflineStack({
    stage,
    httpPort: port('http-port'),
    lambdaPort: port('lambda-port'),
    s3Port: port('s3-port'),
    sqsPort: port('sqs-port'),
    channel: values.channel === 'valkey' ? 'valkey' : 'sqs',
    onLine: (line) => process.stderr.write(`${line}\n`),
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.stdin.destroy();
      await stack.stop();
      process.exit(0);
    })();
    return stopping;
  };
  if (stopRequested) await stop();
  say({
    event: 'ready',
    stage,
    httpEndpoint: stack.httpEndpoint,
    lambdaEndpoint: stack.lambdaEndpoint,
    s3Endpoint: stack.s3Endpoint,
    sqsEndpoint: stack.sqsEndpoint,
    apiKey: stack.apiKey,
    // As serverless.yml names them: custom.localAws.bucket, custom.queuePrefix, custom.functionNames.
    bucket: `lambda-mpi-${stage}-local`,
    queuePrefix: `lambda-mpi-${stage}`,
    functions: { run: stack.functionName('run'), worker: stack.functionName('worker'), http: stack.functionName('http') },
    // The only credentials s3rver accepts; the local SQS and Lambda accept any.
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    region: 'us-east-1',
    ...(stack.valkey ? { valkeyUrl: stack.valkey.url } : {}),
    pid: stack.pid,
  });
  process.off('SIGINT', requestStop);
  process.off('SIGTERM', requestStop);
  process.stdin.off('close', requestStop);
  process.stdin.off('error', requestStop);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdin.on('close', stop);
  process.stdin.on('error', stop);
} catch (error) {
  say({ event: 'failed', message: (error as Error).message });
  process.exit(1);
}
