'use strict';
/**
 * Local AWS for `sls offline` / `sls offline start`: starts the local S3 (s3rver) and SQS
 * (local-aws-sqs) servers on 127.0.0.1 in a child process (tools/local-aws/serve-emulators.ts), creates the job
 * bucket there, points the functions at them (and at serverless-offline's own Lambda invoke API),
 * and stops the child when serverless-offline stops (Ctrl-C, SIGTERM).
 *
 * It does nothing for any other command (`sls package`, `sls deploy`, `sls invoke` …).
 *
 * Settings (serverless.yml, all optional):
 *   custom.localAws.s3Port    default 4569   (0 = a free port)
 *   custom.localAws.sqsPort   default 9324   (0 = a free port)
 *   custom.localAws.bucket    default <service>-<stage>-local
 *   custom.localAws.apiKey    default lambda-mpi-local-api-key (the x-api-key of private endpoints)
 *   custom.localAws.verbose   default false  (s3rver's request log)
 *   custom.localAws.survivePendingRejections  default true: an asynchronous (Event) invocation
 *       whose handler throws is logged, as Lambda would, instead of killing serverless-offline
 *       (which awaits nothing for Event invocations, so the error is an unhandled rejection)
 * serverless-offline's host and lambdaPort (custom.serverless-offline or --host / --lambdaPort)
 * give AWS_ENDPOINT_URL_LAMBDA.
 *
 * CommonJS on purpose: osls loads plugins with require().
 */
const { spawn } = require('node:child_process');
const { createRequire } = require('node:module');
const path = require('node:path');

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 8_000;
const DEFAULTS = { s3Port: 4569, sqsPort: 9324, apiKey: 'lambda-mpi-local-api-key', verbose: false, survivePendingRejections: true };
const OFFLINE_DEFAULTS = { host: '127.0.0.1', lambdaPort: 3002 };

class LocalAwsPlugin {
  constructor(serverless, cliOptions, utils) {
    this.serverless = serverless;
    this.cliOptions = cliOptions || {};
    this.log = (utils && utils.log) || Object.assign((...a) => console.log(...a), { notice: console.log, info: console.log, warning: console.warn, error: console.error });
    this.child = null;
    this.starting = null;
    this.exited = null;
    this.env = null;
    this.onProcessExit = () => {
      // Last resort (serverless-offline ends with process.exit(), `sls offline` skips our stop hook):
      // the child is detached, so signal it explicitly; it cleans up and exits by itself.
      if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
        try {
          process.kill(this.child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    };
    this.onUnhandledRejection = (reason) => {
      const text = reason instanceof Error ? reason.stack || reason.message : String(reason);
      this.log.error(`local-aws: an asynchronous invocation failed (Lambda would log this and retry the event up to the function's maximumRetryAttempts; serverless-offline would have crashed):\n${text}`);
    };
    this.hooks = {
      // `sls offline start` (offline:start:init creates the Lambda functions and reads their env)
      'before:offline:start:init': () => this.start(),
      'before:offline:start:end': () => this.stop(),
      // `sls offline` (a single lifecycle event that runs until Ctrl-C and exits)
      'before:offline:start': () => this.start(),
    };
  }

  settings() {
    const service = this.serverless.service;
    const custom = service.custom || {};
    const local = { ...DEFAULTS, ...(custom.localAws || {}) };
    const offline = { ...OFFLINE_DEFAULTS, ...(custom['serverless-offline'] || {}), ...pick(this.cliOptions, ['host', 'lambdaPort']) };
    const stage = this.cliOptions.stage || service.provider.stage || 'dev';
    const bucket = local.bucket || `${service.service}-${stage}-local`;
    const port = (name, value) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw this.error(`custom.localAws.${name} must be a port number (0-65535); received ${JSON.stringify(value)}`);
      return n;
    };
    let lambdaHost = String(offline.host);
    if (lambdaHost === 'localhost' || lambdaHost === '0.0.0.0') lambdaHost = '127.0.0.1';
    return {
      s3Port: port('s3Port', local.s3Port),
      sqsPort: port('sqsPort', local.sqsPort),
      bucket,
      apiKey: String(local.apiKey),
      verbose: Boolean(local.verbose),
      survivePendingRejections: local.survivePendingRejections !== false && local.survivePendingRejections !== 'false',
      lambdaEndpoint: `http://${lambdaHost}:${Number(offline.lambdaPort)}`,
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
        throw error instanceof Error && error.code === 'LAMBDA_MPI_LOCAL_AWS' ? error : this.error(error instanceof Error ? error.message : String(error));
      });
    }
    return this.starting;
  }

  async startOnce() {
    const settings = this.settings();
    const serviceDir = this.serverless.serviceDir || this.serverless.config.servicePath;
    const args = [
      '--import', 'tsx',
      path.join(__dirname, 'serve-emulators.ts'),
      '--s3-port', String(settings.s3Port),
      '--sqs-port', String(settings.sqsPort),
      '--stop-on-stdin-end',
      ...(settings.verbose ? ['--verbose'] : []),
    ];
    // Detached: Ctrl-C in the terminal reaches sls only; this plugin then stops the servers itself,
    // by PID, when serverless-offline stops. stdin is a pipe the child watches: if sls dies without
    // running any hook (SIGKILL, an uncaught error), the pipe closes and the servers stop anyway.
    const child = spawn(process.execPath, args, { cwd: serviceDir, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    process.on('exit', this.onProcessExit);
    // The pipes must not keep sls alive by themselves.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) if (stream && stream.unref) stream.unref();
    child.stdin.on('error', () => {});

    const env = await new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => finish(new Error(`the local S3/SQS servers did not report ready within ${READY_TIMEOUT_MS / 1000} s${err ? `:\n${err}` : ''}`)), READY_TIMEOUT_MS);
      const finish = (error, value) => {
        clearTimeout(timer);
        child.stdout.off('data', onOut);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(value);
      };
      const onOut = (chunk) => {
        out += chunk;
        if (!/^# running\b/m.test(out)) return;
        const vars = {};
        for (const m of out.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)) vars[m[1]] = m[2];
        finish(null, vars);
      };
      const onExit = (code, signal) => {
        // The first "…Error: message" line says it (EADDRINUSE …); the whole stderr otherwise.
        const reason = (/^\w*Error: .*$/m.exec(err) || [err.trim()])[0];
        finish(new Error(`the local S3/SQS servers exited before they were ready (${signal || `exit code ${code}`})` +
          `${reason ? `: ${reason}` : ''}\n(ports: S3 ${settings.s3Port}, SQS ${settings.sqsPort}; change them under custom.localAws or with --param="localS3Port=…" --param="localSqsPort=…")`));
      };
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', onOut);
      child.stderr.on('data', (chunk) => {
        err += chunk;
      });
      child.once('exit', onExit);
    });
    // After ready: the child's own log lines (s3rver's with verbose, its stop messages) go to ours.
    child.stdout.on('data', (chunk) => settings.verbose && process.stdout.write(prefixLines(chunk)));
    child.stderr.removeAllListeners('data');
    child.stderr.on('data', (chunk) => process.stderr.write(prefixLines(chunk)));

    if (!env.AWS_ENDPOINT_URL_S3 || !env.AWS_ENDPOINT_URL_SQS) throw new Error('tools/local-aws/serve-emulators.ts did not print the S3 and SQS endpoints');
    await this.createBucket(serviceDir, env, settings.bucket);

    this.env = {
      // Endpoints, for the SDK's standard per-service variables.
      AWS_ENDPOINT_URL_S3: env.AWS_ENDPOINT_URL_S3,
      AWS_ENDPOINT_URL_SQS: env.AWS_ENDPOINT_URL_SQS,
      AWS_ENDPOINT_URL_LAMBDA: settings.lambdaEndpoint,
      // The only credentials s3rver accepts. serverless-offline copies every AWS_* variable of the
      // shell into the functions: blank out a profile / session token that would override these.
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_REGION: env.AWS_REGION,
      AWS_DEFAULT_REGION: env.AWS_REGION,
      // Without these the current client-s3 stores aws-chunked framing inside objects on s3rver.
      AWS_REQUEST_CHECKSUM_CALCULATION: env.AWS_REQUEST_CHECKSUM_CALCULATION || 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: env.AWS_RESPONSE_CHECKSUM_VALIDATION || 'WHEN_REQUIRED',
      LAMBDA_MPI_S3_PATH_STYLE: 'true',
      LAMBDA_MPI_BUCKET: settings.bucket,
      // serverless-offline's Lambda API knows each function by its deployed name.
      ...this.functionNameVars(),
    };
    this.applyEnvironment(this.env, settings.apiKey);
    if (settings.survivePendingRejections) process.on('unhandledRejection', this.onUnhandledRejection);

    this.log.notice(
      `local-aws: S3 ${env.AWS_ENDPOINT_URL_S3} (bucket ${settings.bucket}), SQS ${env.AWS_ENDPOINT_URL_SQS}, ` +
        `Lambda ${settings.lambdaEndpoint}; API key ${settings.apiKey} (pid ${child.pid})`,
    );
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

  async createBucket(serviceDir, env, bucket) {
    // The SDK's notice about future Node versions is noise here (src/transport/aws/clients.ts agrees).
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const requireFromService = createRequire(path.join(serviceDir, 'package.json'));
    const { S3Client, CreateBucketCommand } = requireFromService('@aws-sdk/client-s3');
    const s3 = new S3Client({
      endpoint: env.AWS_ENDPOINT_URL_S3,
      region: env.AWS_REGION,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const name = error && error.name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw new Error(`creating bucket ${bucket} on ${env.AWS_ENDPOINT_URL_S3} failed: ${error && error.message}`);
    } finally {
      s3.destroy();
    }
  }

  async stop() {
    const child = this.child;
    if (!child) return;
    process.off('exit', this.onProcessExit);
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      let timer;
      const timedOut = new Promise((resolve) => {
        timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
      });
      const outcome = await Promise.race([this.exited, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        this.log.warning(`local-aws: the S3/SQS servers (pid ${child.pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing them`);
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await this.exited;
      }
    }
    this.child = null;
    this.log.info('local-aws: S3 and SQS servers stopped');
  }
}

function pick(object, keys) {
  const out = {};
  for (const key of keys) if (object[key] !== undefined && object[key] !== null) out[key] = object[key];
  return out;
}

function prefixLines(chunk) {
  return String(chunk).replace(/^(?=.)/gm, 'local-aws: ');
}

module.exports = LocalAwsPlugin;
