'use strict';
/**
 * Local AWS for `sls offline start` (and `sls offline`): starts the local S3 and SQS servers
 * (emulator-process.ts: a child process that reports ready through a JSON line) with the job
 * bucket in them, points the functions at them and at serverless-offline's own Lambda invoke API,
 * gives the private HTTP routes a fixed API key, and stops the servers when serverless-offline stops.
 * It does nothing for any other command (`sls package`, `sls deploy`, `sls invoke` …).
 *
 * Settings (serverless.yml custom.localAws; defaults in defaults.json):
 *   s3Port, sqsPort   the servers' ports (0 = a free port)
 *   bucket            the job bucket (<service>-<stage>-local)
 *   apiKey            the x-api-key of the private endpoints
 *   verbose           s3rver's request log (default false)
 *   readyFd           a file descriptor the caller opened (e.g. tools/local-aws/offline-stack.ts):
 *                     once serverless-offline listens, one JSON line goes there (ready-line.ts)
 *                     with every endpoint, the bucket, the API key and the function names; or
 *                     {"ready":false,"error":…} when the stack cannot start
 *   survivePendingRejections  default true: an asynchronous (Event) invocation whose handler
 *       throws is logged, as Lambda would, instead of killing serverless-offline (which awaits
 *       nothing for Event invocations, so the error is an unhandled rejection)
 *   guardFunctionThreads  default true: each function instance's worker thread gets its
 *       function's memorySize as its heap limit, as a Lambda execution environment has, and a
 *       thread that dies is named in the log (below)
 * serverless-offline's host, httpPort and lambdaPort (custom.serverless-offline or the command
 * line) give AWS_ENDPOINT_URL_LAMBDA and the endpoints of the ready line.
 *
 * CommonJS on purpose: osls loads plugins with require(). The TypeScript modules beside it are
 * loaded through tsx's API, so the plugin starts the servers exactly as the bench and tests do.
 */
const path = require('node:path');
const defaults = require('./defaults.json');

const DEFAULTS = { s3Port: defaults.ports.s3, sqsPort: defaults.ports.sqs, apiKey: defaults.apiKey, verbose: false, survivePendingRejections: true, guardFunctionThreads: true };
const OFFLINE_DEFAULTS = { host: defaults.host, httpPort: defaults.ports.http, lambdaPort: defaults.ports.lambda };

/** Loads one of the TypeScript modules beside this file. */
async function importTs(file) {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(path.join(__dirname, file), __filename);
}

class LocalAwsPlugin {
  constructor(serverless, cliOptions, utils) {
    this.serverless = serverless;
    this.cliOptions = cliOptions || {};
    this.log = (utils && utils.log) || Object.assign((...a) => console.log(...a), { notice: console.log, info: console.log, warning: console.warn, error: console.error });
    this.emulators = null;
    this.starting = null;
    this.reported = false;
    this.onUnhandledRejection = (reason) => {
      const text = reason instanceof Error ? reason.stack || reason.message : String(reason);
      this.log.error(`local-aws: an asynchronous invocation failed (Lambda would log this and retry the event up to the function's maximumRetryAttempts; serverless-offline would have crashed):\n${text}`);
    };
    this.hooks = {
      // `sls offline start`: offline:start:init creates the Lambda functions and reads their env.
      'before:offline:start:init': () => this.start(),
      // Every plugin's init is done: serverless-offline listens on its HTTP and Lambda ports.
      'after:offline:start:init': () => this.announceReady(),
      'before:offline:start:end': () => this.stop(),
      // `sls offline` (a single lifecycle event that runs until Ctrl-C and exits)
      'before:offline:start': () => this.start(),
    };
  }

  settings() {
    const service = this.serverless.service;
    const custom = service.custom || {};
    const local = { ...DEFAULTS, ...(custom.localAws || {}) };
    const offline = { ...OFFLINE_DEFAULTS, ...(custom['serverless-offline'] || {}), ...pick(this.cliOptions, ['host', 'httpPort', 'lambdaPort']) };
    const stage = this.cliOptions.stage || service.provider.stage || 'dev';
    const port = (name, value) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw this.error(`custom.localAws.${name} must be a port number (0-65535); received ${JSON.stringify(value)}`);
      return n;
    };
    let host = String(offline.host);
    if (host === 'localhost' || host === '0.0.0.0') host = defaults.host;
    return {
      stage,
      s3Port: port('s3Port', local.s3Port),
      sqsPort: port('sqsPort', local.sqsPort),
      bucket: local.bucket || `${service.service}-${stage}-${defaults.bucketSuffix}`,
      apiKey: String(local.apiKey),
      verbose: Boolean(local.verbose),
      survivePendingRejections: local.survivePendingRejections !== false && local.survivePendingRejections !== 'false',
      guardFunctionThreads: local.guardFunctionThreads !== false && local.guardFunctionThreads !== 'false',
      httpEndpoint: `http://${host}:${Number(offline.httpPort)}/${stage}`,
      lambdaEndpoint: `http://${host}:${Number(offline.lambdaPort)}`,
      valkeyUrl: local.valkeyUrl ? String(local.valkeyUrl) : undefined,
    };
  }

  error(message) {
    const ServerlessError = this.serverless.classes && this.serverless.classes.Error;
    return ServerlessError ? new ServerlessError(`local-aws: ${message}`, 'LAMBDA_MPI_LOCAL_AWS') : new Error(`local-aws: ${message}`);
  }

  start() {
    if (!this.starting) {
      this.starting = this.startOnce().catch(async (error) => {
        await this.stop();
        const failure = error instanceof Error && error.code === 'LAMBDA_MPI_LOCAL_AWS' ? error : this.error(error instanceof Error ? error.message : String(error));
        await this.report({ ready: false, error: failure.message, ...(failure.reason ? { code: failure.reason } : {}) });
        throw failure;
      });
    }
    return this.starting;
  }

  async startOnce() {
    const settings = this.settings();
    const { startEmulatorProcess } = await importTs('emulator-process.ts');
    try {
      this.emulators = await startEmulatorProcess({
        s3Port: settings.s3Port,
        sqsPort: settings.sqsPort,
        buckets: [settings.bucket],
        verbose: settings.verbose,
        log: (line) => process.stderr.write(`local-aws: ${line}\n`),
      });
    } catch (error) {
      // The system's code (EADDRINUSE …) travels on in the ready line.
      throw Object.assign(this.error(`${error.message}\n(change the ports under custom.localAws or with --param="localS3Port=…" --param="localSqsPort=…")`), { reason: error.code });
    }
    const emulators = this.emulators;
    this.applyEnvironment({
      // Endpoints (the SDK's standard per-service variables), the only credentials s3rver accepts,
      // the region and the checksum settings s3rver needs.
      ...emulators.env(),
      AWS_ENDPOINT_URL_LAMBDA: settings.lambdaEndpoint,
      // serverless-offline copies every AWS_* variable of the shell into the functions: blank out a
      // profile or session token that would override the credentials above.
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_DEFAULT_REGION: emulators.region,
      LAMBDA_MPI_S3_PATH_STYLE: 'true',
      LAMBDA_MPI_BUCKET: settings.bucket,
      // serverless-offline's Lambda API knows each function by its deployed name.
      ...this.functionNameVars(),
      // No schedules run here: the sweeper runs when a job starts instead.
      LAMBDA_MPI_SWEEP_AT_JOB_START: 'true',
      // No STS and no IAM here: a job's program runs with the functions' credentials, unscoped.
      LAMBDA_MPI_JOB_ROLE_ARN: '',
      // A stage over Valkey: the job's frames, heartbeats and control go through this server, not SQS.
      ...(settings.valkeyUrl ? { LAMBDA_MPI_CHANNEL: 'valkey', LAMBDA_MPI_VALKEY_URL: settings.valkeyUrl } : {}),
    }, settings.apiKey);
    if (settings.survivePendingRejections) process.on('unhandledRejection', this.onUnhandledRejection);
    if (settings.guardFunctionThreads) guardFunctionThreads((line) => this.log.error(`local-aws: ${line}`));

    this.log.notice(
      `local-aws: S3 ${emulators.s3Endpoint} (bucket ${settings.bucket}), SQS ${emulators.sqsEndpoint}, ` +
        `Lambda ${settings.lambdaEndpoint}; API key ${settings.apiKey} (pid ${emulators.pid})`,
    );
  }

  /** The ready line for the caller that gave a readyFd: the whole stack listens now. */
  async announceReady() {
    if (!this.emulators) return;
    const settings = this.settings();
    const functions = {};
    for (const [key, fn] of Object.entries(this.serverless.service.functions || {})) functions[key] = (fn && fn.name) || key;
    await this.report({
      ready: true,
      stage: settings.stage,
      httpEndpoint: settings.httpEndpoint,
      lambdaEndpoint: settings.lambdaEndpoint,
      s3Endpoint: this.emulators.s3Endpoint,
      sqsEndpoint: this.emulators.sqsEndpoint,
      region: this.emulators.region,
      credentials: this.emulators.credentials,
      bucket: settings.bucket,
      apiKey: settings.apiKey,
      functions,
    });
  }

  /** Writes the ready line, once, if the caller asked for one. */
  async report(message) {
    const readyFd = (this.serverless.service.custom?.localAws || {}).readyFd;
    if (readyFd === undefined || readyFd === null || readyFd === '' || this.reported) return;
    this.reported = true;
    const { parseReadyFd, writeReadyLine } = await importTs('ready-line.ts');
    writeReadyLine(parseReadyFd(readyFd, 'custom.localAws.readyFd'), message);
  }

  functionNameVars() {
    const service = this.serverless.service;
    const vars = {};
    const names = { run: 'LAMBDA_MPI_RUN_FUNCTION', worker: 'LAMBDA_MPI_WORKER_FUNCTION' };
    for (const [key, variable] of Object.entries(names)) {
      const fn = service.functions && service.functions[key];
      if (fn && fn.name) vars[variable] = fn.name;
    }
    return vars;
  }

  applyEnvironment(env, apiKey) {
    const service = this.serverless.service;
    service.provider.environment = { ...(service.provider.environment || {}), ...env };
    // A function's own environment wins over the provider's: override there too.
    for (const fn of Object.values(service.functions || {})) {
      if (fn && fn.environment) fn.environment = { ...fn.environment, ...env };
    }
    // serverless-offline takes the keys of private endpoints from provider.apiGateway.apiKeys
    // (a `value`, or a random one it prints). A fixed value makes local calls scriptable.
    const apiGateway = (service.provider.apiGateway = service.provider.apiGateway || {});
    const keys = Array.isArray(apiGateway.apiKeys) ? apiGateway.apiKeys : [];
    const first = keys[0];
    const name = typeof first === 'string' ? first : (first && first.name) || `${service.service}-local`;
    apiGateway.apiKeys = [{ name, value: apiKey }];
  }

  async stop() {
    const emulators = this.emulators;
    if (!emulators) return;
    this.emulators = null;
    await emulators.stop();
    this.log.info('local-aws: S3 and SQS servers stopped');
  }
}

/**
 * serverless-offline runs each function instance in a worker thread (its WorkerThreadRunner)
 * with no heap limit of its own: a thread may grow to what the whole process may hold before it
 * fails, so a function that leaks takes the machine's memory instead of failing at its
 * memorySize, as a Lambda execution environment does. serverless-offline itself answers the
 * invocations in flight with an error when their thread dies (out of memory, process.exit) and
 * starts a new thread for the next one.
 *
 * So the Worker it constructs for its helper file is the real Worker (every method and event as
 * Node gives them), started with `maxOldGenerationSizeMb` set to the function's memorySize, and
 * a thread that dies says so in the stack's log, naming its function. The runner imports Worker
 * by name from node:worker_threads; syncBuiltinESMExports() makes that import see this subclass.
 * The thread also gets a port through which lambda-mpi's pulse can have it ended (below).
 * This reaches into serverless-offline no further than the helper's file name, the environment
 * it gives the thread and its workerData; package.json pins serverless-offline exactly for that.
 */
function guardFunctionThreads(log) {
  const workerThreads = require('node:worker_threads');
  const Original = workerThreads.Worker;
  if (Original.lambdaMpiGuarded) return;

  class FunctionThread extends Original {
    constructor(filename, options) {
      if (!isFunctionThreadHelper(filename)) {
        super(filename, options);
        return;
      }
      const env = (options && options.env) || {};
      const memoryMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
      const ending = withEndingPort(withHeapLimit(options, memoryMb));
      super(filename, ending.options);
      const name = env.AWS_LAMBDA_FUNCTION_NAME || 'a function';
      endOnRequest(this, ending.mainSide, name, log);
      this.terminating = false;
      this.on('error', (error) => {
        const reason = error && error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `ran out of memory (memorySize ${memoryMb} MB)` : (error && error.message) || String(error);
        log(`${name}: its execution environment ended (${reason}); its invocations in flight failed, the next one starts a new one`);
      });
      this.on('exit', (code) => {
        // terminate() is serverless-offline retiring an idle instance, not a death.
        if (this.terminating || code === 0) return;
        log(`${name}: its execution environment ended (its thread exited with code ${code}); its invocations in flight failed, the next one starts a new one`);
      });
    }

    terminate() {
      this.terminating = true;
      return super.terminate();
    }
  }
  FunctionThread.lambdaMpiGuarded = true;
  workerThreads.Worker = FunctionThread;
  require('node:module').syncBuiltinESMExports();
}

function isFunctionThreadHelper(filename) {
  const file = String(filename instanceof URL ? filename.pathname : filename).split(path.sep).join('/');
  return file.endsWith('/worker-thread-runner/workerThreadHelper.js');
}

function withHeapLimit(options, memoryMb) {
  if (!Number.isInteger(memoryMb) || memoryMb <= 0) return options;
  return { ...options, resourceLimits: { maxOldGenerationSizeMb: memoryMb, ...(options && options.resourceLimits) } };
}

/**
 * A function's thread (serverless-offline's worker-thread helper) is started so that lambda-mpi's
 * pulse, running beside a rank stuck in synchronous code after its job ended, can have this
 * thread ended, as Lambda ends an execution environment (src/service/thread-ending.ts: the other
 * side). The thread gets a MessagePort in its workerData under THREAD_ENDING_KEY; on it, a message
 * `{ kind: 'lambda-mpi/end-thread-port', port }` hands over a port (one per pulse), and
 * `{ kind: 'lambda-mpi/end-thread', reason }` on such a port terminates the thread: its pending
 * invocations then fail as when a thread dies, and the next invocation gets a new thread.
 * Every port here is unref'd: none keeps the process alive.
 */
const THREAD_ENDING_KEY = 'lambdaMpiEndThread';

/** `options` with a port for the thread under THREAD_ENDING_KEY, and the main side of its channel. */
function withEndingPort(options) {
  const { MessageChannel } = require('node:worker_threads');
  const { port1: mainSide, port2: threadSide } = new MessageChannel();
  return {
    mainSide,
    options: {
      ...options,
      workerData: { ...((options && options.workerData) || {}), [THREAD_ENDING_KEY]: threadSide },
      transferList: [...((options && options.transferList) || []), threadSide],
    },
  };
}

/** Ends `thread` when a port offered on `mainSide` asks for it. */
function endOnRequest(thread, mainSide, name, log) {
  mainSide.on('message', (offer) => {
    if (!offer || offer.kind !== 'lambda-mpi/end-thread-port' || !offer.port) return;
    offer.port.on('message', (ask) => {
      if (!ask || ask.kind !== 'lambda-mpi/end-thread') return;
      log(`${name}: ending its thread (${ask.reason})`);
      void thread.terminate();
    });
    offer.port.unref();
  });
  mainSide.unref();
  thread.once('exit', () => mainSide.close());
}

function pick(object, keys) {
  const out = {};
  for (const key of keys) if (object[key] !== undefined && object[key] !== null) out[key] = object[key];
  return out;
}

module.exports = LocalAwsPlugin;
