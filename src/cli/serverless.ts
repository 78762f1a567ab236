import { spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './command.ts';
import { PACKAGE_ROOT } from './package-root.ts';

/**
 * Runs the Serverless CLI (osls, the package's `serverless` dependency) on the package's own
 * service, serverless.yml in PACKAGE_ROOT, as `sls <args>` run there would: with the caller's AWS
 * credentials and environment, its output on this terminal. Resolves to its exit code.
 */
export async function runServerless(args: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const sls = createRequire(join(PACKAGE_ROOT, 'package.json')).resolve('serverless/bin/serverless.js');
  const child = spawn(process.execPath, [sls, ...args], {
    cwd: PACKAGE_ROOT,
    stdio: ['inherit', 'pipe', 'pipe'],
    env: { ...env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  child.stdout.pipe(io.stdout, { end: false });
  child.stderr.pipe(io.stderr, { end: false });
  // Ctrl-C reaches sls too (same process group); it stops on its own, and so do we after it.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  } finally {
    process.off('SIGINT', ignore);
    if (child.pid !== undefined) await removeZipScratch(child.pid);
  }
}

/**
 * serverless-esbuild zips each function from a scratch folder `<service>-<pid>-<ms>-<hex>` in the
 * system's temporary directory and does not remove it; left alone, every `deploy` or `package`
 * leaves one behind.
 */
export async function removeZipScratch(pid: number, service = 'lambda-mpi'): Promise<void> {
  const prefix = `${service}-${pid}-`;
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => name.startsWith(prefix)).map((name) => rm(join(tmpdir(), name), { recursive: true, force: true })));
}

/** `--param key=value` flags, passed on to serverless.yml's `params` (memory, timeouts …). */
export function paramArgs(params: string[] | undefined): string[] {
  return (params ?? []).map((p) => `--param=${p}`);
}

const LOCAL_HOST = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i;

/**
 * Refuses to deploy or remove from a shell that `lambda-mpi offline`'s export lines point at the
 * local stack: its credentials are the local S3's, and the SDK would send part of the work to the
 * local servers and part to AWS.
 */
export function refuseLocalStackShell(command: string, env: NodeJS.ProcessEnv = process.env): void {
  const local = Object.entries(env).filter(([name, value]) => name.startsWith('AWS_ENDPOINT_URL') && value && LOCAL_HOST.test(value));
  if (local.length === 0) return;
  throw new UsageError(
    `this shell points AWS at the local stack (${local.map(([name, value]) => `${name}=${value}`).join(', ')}): ` +
      `run \`lambda-mpi ${command}\` from a shell without the export lines of \`lambda-mpi offline\``,
  );
}
