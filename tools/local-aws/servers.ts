/**
 * Local AWS stack, in this process: s3rver (S3) and local-aws-sqs (SQS), both bound to 127.0.0.1.
 *
 * Both emulators are mounted on http servers we create ourselves (s3rver is a Koa app whose
 * `callback()` is its request handler; local-aws-sqs exports `createRequestHandler`). Their own
 * `run()` / `createSqsServer()` never attach an 'error' listener before `listen()`, so a busy port
 * would crash the whole process with an uncaught 'error' event instead of rejecting; owning the
 * servers lets `startLocalAws` reject cleanly and lets `stop()` cut keep-alive and long-poll
 * connections so the process can exit.
 *
 * Facts (checked in the sources, see test/aws/emulators.test.ts for the behaviour):
 * - s3rver accepts only the credentials in defaults.json (S3RVER / S3RVER; signature V4 is verified).
 * - local-aws-sqs checks no credentials and no signature at all.
 * - S3 clients need path-style addressing and checksums only when required: clients.ts builds
 *   them, and `localAwsEnv` gives other processes the same settings.
 *
 * Most callers want these servers in a child process of their own (emulator-process.ts), so the
 * servers' work does not share an event loop with the code under test or measurement.
 */
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequestHandler } from 'local-aws-sqs';
import { makeObjectWritesAtomic, type S3rverStore } from './atomic-objects.ts';
import { withMultipartGaps, type MultipartStore } from './multipart-gaps.ts';
import { localAwsEnv, type LocalAwsEndpoints } from './clients.ts';
import { LOCAL_CREDENTIALS, LOCAL_HOST as HOST, LOCAL_REGION as REGION } from './defaults.ts';

export interface LocalAwsOptions {
  /** Port for S3; 0 (default) picks a free port. */
  s3Port?: number;
  /** Port for SQS; 0 (default) picks a free port. */
  sqsPort?: number;
  /** s3rver storage directory. Default: a fresh temp dir, removed by stop(). A given dir is kept. */
  dataDir?: string;
  /** Silence s3rver's per-request log lines. Default true. */
  silent?: boolean;
  /** Buckets that exist before the servers accept their first request. */
  buckets?: string[];
}

export interface LocalAws extends LocalAwsEndpoints {
  dataDir: string;
  buckets: string[];
  /** The SDK's environment variables for these servers (`localAwsEnv`). */
  env(): Record<string, string>;
  /** Close both servers (dropping open connections) and remove the temp data dir. Idempotent. */
  stop(): Promise<void>;
}

/** The part of s3rver (a Koa app, CommonJS, untyped) that we use. */
interface S3rverApp {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  /** Creates the buckets of the `configureBuckets` option, without a request. */
  configureBuckets(): Promise<unknown>;
  logger: { close(): void; exceptions: { unhandle(): void } };
  store: S3rverStore & MultipartStore;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverApp;

const require = createRequire(import.meta.url);

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, HOST);
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Idle keep-alive sockets of SDK clients and pending SQS long polls would otherwise keep
    // close() waiting (up to the poll's WaitTimeSeconds, or forever for an idle agent socket).
    server.closeAllConnections();
  });
}

/**
 * S3 refuses a PUT with `If-None-Match: *` when the key exists (HTTP 412), and lambda-mpi relies
 * on it to start each rank once. s3rver does not implement it; this adds it in front of s3rver's
 * own handler, serialising conditional writes per key so two racing PUTs cannot both win.
 */
function withConditionalPut(app: S3rverApp): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = app.callback();
  const writing = new Set<string>();
  const refuse = (res: ServerResponse, key: string) => {
    res.statusCode = 412;
    res.setHeader('Content-Type', 'application/xml');
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition><Key>${key}</Key></Error>`);
  };
  return (req, res) => {
    if (req.method !== 'PUT' || req.headers['if-none-match'] !== '*' || req.headers['x-amz-copy-source']) {
      handle(req, res);
      return;
    }
    const [bucket = '', ...keyParts] = new URL(req.url ?? '/', 'http://local').pathname.slice(1).split('/');
    const key = keyParts.map(decodeURIComponent).join('/');
    const id = `${bucket}/${key}`;
    if (writing.has(id)) {
      req.resume();
      refuse(res, key);
      return;
    }
    writing.add(id);
    app.store.getMetadata(bucket, key).then(
      () => {
        writing.delete(id);
        req.resume();
        refuse(res, key);
      },
      () => {
        res.on('close', () => writing.delete(id));
        handle(req, res);
      },
    );
  };
}

export async function startLocalAws(opts: LocalAwsOptions = {}): Promise<LocalAws> {
  const silent = opts.silent ?? true;
  const buckets = [...new Set(opts.buckets ?? [])];
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'lambda-mpi-s3rver-')));
  if (!ownDir) await mkdir(dataDir, { recursive: true });

  const S3rver = require('s3rver') as S3rverCtor;
  const s3app = new S3rver({
    silent,
    directory: dataDir,
    address: HOST,
    vhostBuckets: false,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
    // s3rver defaults to allowMismatchedSignatures: false, i.e. signatures are checked.
  });
  makeObjectWritesAtomic(s3app.store);
  const s3Server = createServer(withMultipartGaps(s3app.store, withConditionalPut(s3app)));

  const { requestHandler, service } = createRequestHandler({
    port: 0, // patched below once the real port is known (it is used to build QueueUrls)
    hostname: HOST,
    region: REGION,
  });
  const sqsServer = createServer((req, res) => {
    requestHandler(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.statusCode = 500;
      res.end(String(err));
    });
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all([close(s3Server), close(sqsServer)]);
    service.resetAll(); // clears every message timer and forgets all queues
    s3app.logger.exceptions.unhandle();
    s3app.logger.close();
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await s3app.configureBuckets();
  } catch (error) {
    await stop();
    throw error;
  }

  // allSettled, not all: on failure both listens must have finished before stop() closes them.
  const [s3Listen, sqsListen] = await Promise.allSettled([
    listen(s3Server, opts.s3Port ?? 0),
    listen(sqsServer, opts.sqsPort ?? 0),
  ]);
  if (s3Listen.status === 'rejected' || sqsListen.status === 'rejected') {
    await stop();
    throw s3Listen.status === 'rejected' ? s3Listen.reason : (sqsListen as PromiseRejectedResult).reason;
  }
  const s3Port = s3Listen.value;
  const sqsPort = sqsListen.value;
  service.PORT = sqsPort;

  const endpoints: LocalAwsEndpoints = {
    s3Endpoint: `http://${HOST}:${s3Port}`,
    sqsEndpoint: `http://${HOST}:${sqsPort}`,
    region: REGION,
    credentials: { ...LOCAL_CREDENTIALS },
  };
  return { ...endpoints, dataDir, buckets, env: () => localAwsEnv(endpoints), stop };
}
