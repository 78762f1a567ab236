/**
 * lambda-mpi as a user gets it: `npm pack`'s tarball installed into a fresh project outside the
 * repository (the example project examples/birthday, plus a package of the user's own installed
 * with file:), with nothing of the checkout on the module path: no NODE_PATH, no npm_* variables,
 * no node_modules/.bin of the repository on PATH. The tarball is packed and installed once.
 */
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { zipEntries } from '../fixtures/zip-entries.ts';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(import.meta.dirname, 'fixtures');

let work: string;
let project: string;
let tarball: string;

/** The environment of a user's shell: the machine's, without anything pointing into the checkout. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') || key.startsWith('VITEST') || key.startsWith('AWS_') || ['NODE_PATH', 'NODE_OPTIONS', 'INIT_CWD', 'TSX_TSCONFIG_PATH'].includes(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !dir.startsWith(ROOT)).join(delimiter);
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return env;
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the user's project, as the user's shell would. */
async function inProject(command: string, args: string[], timeout = 60_000): Promise<Ran> {
  try {
    const { stdout, stderr } = await exec(command, args, { cwd: project, env: userEnv(), timeout, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function expectSuccess(ran: Ran): void {
  expect(ran.code, `exit code ${ran.code}\nstdout:\n${ran.stdout}\nstderr:\n${ran.stderr}`).toBe(0);
}

beforeAll(async () => {
  work = await realpath(await mkdtemp(join(tmpdir(), 'lambda-mpi-user-')));
  project = join(work, 'birthday');
  const packed = await exec('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT, env: userEnv(), timeout: 120_000 });
  tarball = join(work, packed.stdout.trim().split('\n').at(-1)!);
  await Promise.all([
    cp(join(ROOT, 'examples/birthday'), project, { recursive: true, filter: (source) => !source.includes('node_modules') }),
    cp(join(FIXTURES, 'tiny-stats'), join(work, 'tiny-stats'), { recursive: true }),
  ]);
  const typescript = JSON.parse(await readFile(join(ROOT, 'node_modules/typescript/package.json'), 'utf8')).version;
  // The example's own dependencies (pure-rand from the registry), the tarball in place of the
  // published lambda-mpi, the user's own package, and TypeScript for the tsc --init project.
  // Resolved as a user's first install is: no lockfile, and the registry asked for the newest
  // versions the ranges allow rather than whatever this machine's npm cache holds.
  const installed = await inProject('npm', ['install', '--no-audit', '--no-fund', '--prefer-online', '--no-package-lock', tarball, 'file:../tiny-stats', `typescript@${typescript}`], 240_000);
  expectSuccess(installed);
}, 400_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('holds the compiled package, its sources, the service, the local stack and the example the docs link to, and no tests, benches or CI files', async () => {
    const { stdout } = await exec('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const file of ['package.json', 'LICENSE', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'bin/lambda-mpi.mjs', 'serverless.yml', 'src/service/handlers/run.ts', 'tools/local-aws/serverless-plugin.cjs', 'tools/local-aws/serve-offline-stack.ts', 'examples/birthday/birthday.ts']) {
      expect(files).toContain(file);
    }
    const unwanted = files.filter((f) => /^(test|bench|\.ci|node_modules)\/|examples\/.*\/node_modules\/|^(tsconfig[^/]*\.json|vitest\.config\.ts|\.dependency-cruiser\.cjs|\.npmrc|package-lock\.json)$/.test(f));
    expect(unwanted).toEqual([]);
    expect(files.filter((f) => /\.test\.ts$/.test(f))).toEqual([]);
  });

  it('is MIT licensed, with the license text', async () => {
    const license = await readFile(join(project, 'node_modules/lambda-mpi/LICENSE'), 'utf8');
    const manifest = JSON.parse(await readFile(join(project, 'node_modules/lambda-mpi/package.json'), 'utf8'));
    expect(manifest.license).toBe('MIT');
    expect(license).toMatch(/^MIT License/);
  });
});

describe('the install', () => {
  it('resolved every dependency of lambda-mpi to the newest version its range allows today, as a new user gets it', async () => {
    const manifest = JSON.parse(await readFile(join(project, 'node_modules/lambda-mpi/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const stale: string[] = [];
    await Promise.all(Object.entries(manifest.dependencies).map(async ([name, range]) => {
      const [registryName, registryRange] = range.startsWith('npm:') ? splitAlias(range.slice(4)) : [name, range];
      const { stdout } = await exec('npm', ['view', `${registryName}@${registryRange}`, 'version', '--json', '--prefer-online'], { cwd: project, env: userEnv(), timeout: 60_000 });
      const newest = highestVersion([JSON.parse(stdout)].flat() as string[]);
      const installedVersion = await installedVersionFor(name);
      if (installedVersion !== newest) stale.push(`${name}: installed ${installedVersion}, newest in ${range} is ${newest}`);
    }));
    expect(stale).toEqual([]);
  }, 120_000);
});

/** The version of `name` that lambda-mpi itself resolves: its own nested copy, or the hoisted one. */
async function installedVersionFor(name: string): Promise<string> {
  for (const dir of [join(project, 'node_modules/lambda-mpi/node_modules', name), join(project, 'node_modules', name)]) {
    const manifest = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (manifest) return JSON.parse(manifest).version;
  }
  return 'nothing';
}

/**
 * The highest of versions the registry lists: npm lists them in the order the registry's document
 * holds them, which is not always the order of their numbers. Ranges without a prerelease tag match
 * only releases, so the three numbers decide.
 */
function highestVersion(versions: string[]): string | undefined {
  const numbers = (version: string) => version.split(/[-+]/)[0]!.split('.').map(Number);
  return versions.reduce<string | undefined>((highest, version) => {
    if (highest === undefined) return version;
    const [a, b] = [numbers(version), numbers(highest)];
    const differing = a.findIndex((part, i) => part !== b[i]);
    return differing >= 0 && a[differing]! > b[differing]! ? version : highest;
  }, undefined);
}

/** `osls@4.3.1` → ['osls', '4.3.1'] (a scoped name keeps its leading @). */
function splitAlias(spec: string): [string, string] {
  const at = spec.lastIndexOf('@');
  return [spec.slice(0, at), spec.slice(at + 1)];
}

describe('plain JavaScript, no loader', () => {
  it.each(['plain.mjs', 'plain.cjs'])('%s runs a 3-rank job with runLocal from the installed package', async (file) => {
    await cp(join(FIXTURES, file), join(project, file));
    const ran = await inProject(process.execPath, [file]);
    expectSuccess(ran);
    const { from, results } = JSON.parse(ran.stdout);
    expect(results).toEqual([6, 6, 6]);
    expect(String(from).replace(/^file:\/\//, '')).toBe(join(project, 'node_modules/lambda-mpi/dist/index.js'));
  });
});

describe('TypeScript with tsc --init defaults', () => {
  it('type-checks against the declarations, catches a wrong type, and the compiled program runs', async () => {
    expectSuccess(await inProject('npx', ['tsc', '--init']));
    await cp(join(FIXTURES, 'typed.ts'), join(project, 'typed.ts'));
    await cp(join(FIXTURES, 'uses-a-package.ts'), join(project, 'uses-a-package.ts'));
    await cp(join(FIXTURES, 'mistyped.ts'), join(project, 'mistyped.ts'));
    const mistyped = await inProject('npx', ['tsc', '-p', '.', '--noEmit']);
    expect(mistyped.code).not.toBe(0);
    // Exactly the planted error: every other file (the example's birthday.ts included) is clean.
    expect(mistyped.stdout.trim().split('\n').filter((line) => /error TS/.test(line))).toEqual([expect.stringMatching(/^mistyped\.ts\(4,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/)]);
    await rm(join(project, 'mistyped.ts'));
    expectSuccess(await inProject('npx', ['tsc', '-p', '.']));
    const ran = await inProject(process.execPath, ['typed.js']);
    expectSuccess(ran);
    expect(ran.stdout.trim()).toBe('max 42 on 3 ranks');
  });
});

describe('npx lambda-mpi run', () => {
  it('runs a user .ts program that imports a package of its own, in this process', async () => {
    await cp(join(FIXTURES, 'uses-a-package.ts'), join(project, 'uses-a-package.ts'));
    const ran = await inProject('npx', ['lambda-mpi', 'run', './uses-a-package.ts', '-n', '4', '--result']);
    expectSuccess(ran);
    const lines = ran.stdout.trim().split('\n');
    expect(lines.slice(0, -1).sort()).toEqual([0, 1, 2, 3].map((rank) => `rank ${rank} of 4: mean of 0,10,20,30 is 15`));
    expect(JSON.parse(lines.at(-1)!)).toBe(15);
  });

  it('runs a user .ts program in the CLI\'s own thread (--inline), registering tsx\'s loader for it on demand', async () => {
    await cp(join(FIXTURES, 'uses-a-package.ts'), join(project, 'uses-a-package.ts'));
    const ran = await inProject('npx', ['lambda-mpi', 'run', './uses-a-package.ts', '-n', '2', '--inline', '--result']);
    expectSuccess(ran);
    const lines = ran.stdout.trim().split('\n');
    expect(lines.slice(0, -1).sort()).toEqual([0, 1].map((rank) => `rank ${rank} of 2: mean of 0,10 is 5`));
    expect(JSON.parse(lines.at(-1)!)).toBe(5);
  });

  it('runs the example project (examples/birthday, with pure-rand from the registry) end to end', async () => {
    const ran = await inProject('npx', ['lambda-mpi', 'run', './birthday.ts', '-n', '4', '--input', '{"trials":40000}', '--result']);
    expectSuccess(ran);
    const [line, json] = ran.stdout.trim().split('\n');
    const result = JSON.parse(json!);
    expect(line).toMatch(/^23 people, 40000 trials on 4 ranks: P\(shared birthday\) ≈ 0\.\d{4} \(exact 0\.5073\)$/);
    expect(result).toMatchObject({ trials: 40000, people: 23 });
    // 40,000 trials: the standard error is 0.0025, so 0.02 is eight of them.
    expect(Math.abs(result.estimate - result.exact)).toBeLessThan(0.02);
  });

  it('refuses bad usage with exit code 2 before anything starts', async () => {
    const ran = await inProject('npx', ['lambda-mpi', 'run', './missing.ts', '-n', '2']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/is not a file that exists: .*missing\.ts/);
  });
});

describe('what the installed CLI loads', () => {
  /** The packages a command must not load unless it needs them: the AWS SDK, the bundler, the TypeScript loader. */
  const HEAVY = /\/node_modules\/(@aws-sdk|@smithy|esbuild|tsx)\//;

  /** The module URLs that `lambda-mpi <args>` loads in its own thread, run as `node bin/lambda-mpi.mjs` (what npx runs). */
  async function modulesLoadedBy(args: string[]): Promise<string[]> {
    const list = join(work, `modules-${args.join('-')}.txt`);
    await writeFile(list, '');
    const ran = await exec(process.execPath, ['--import', join(FIXTURES, 'list-loaded-modules.mjs'), 'node_modules/lambda-mpi/bin/lambda-mpi.mjs', ...args], {
      cwd: project, env: { ...userEnv(), LIST_LOADED_MODULES: list }, timeout: 60_000,
    });
    expect(ran.stderr).toBe('');
    const loaded = (await readFile(list, 'utf8')).trim().split('\n');
    // The listing works: it holds the CLI's own modules.
    expect(loaded).toContain(pathToFileURL(join(project, 'node_modules/lambda-mpi/dist/cli/main.js')).href);
    return loaded;
  }

  it('--help loads neither the AWS SDK, nor esbuild, nor tsx', async () => {
    expect((await modulesLoadedBy(['--help'])).filter((url) => HEAVY.test(url))).toEqual([]);
  });

  it('run hello -n 4 (ranks in threads) loads neither the AWS SDK, nor esbuild, nor tsx once its threads\' bundle is built', async () => {
    // The first run after an install builds the bundle (with esbuild); later runs find it.
    expectSuccess(await inProject(process.execPath, ['node_modules/lambda-mpi/bin/lambda-mpi.mjs', 'run', 'hello', '-n', '4']));
    expect((await modulesLoadedBy(['run', 'hello', '-n', '4'])).filter((url) => HEAVY.test(url))).toEqual([]);
  });
});

describe('npx lambda-mpi deploy --package', () => {
  it('writes the template it would deploy from the installed package: four arm64 functions on nodejs24.x', async () => {
    const ran = await inProject('npx', ['lambda-mpi', 'deploy', '--stage', 'pkgcheck', '--package', 'deploy-out'], 120_000);
    expectSuccess(ran);
    const template = JSON.parse(await readFile(join(project, 'deploy-out/cloudformation-template-update-stack.json'), 'utf8'));
    const functions = Object.values(template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.map((f) => [f.Properties.FunctionName, f.Properties.Runtime, f.Properties.Architectures]).sort()).toEqual(
      ['http', 'run', 'sweep', 'worker'].map((name) => [`lambda-mpi-pkgcheck-${name}`, 'nodejs24.x', ['arm64']]),
    );
    // The four handlers, bundled: no TypeScript and no node_modules, whatever else the newest
    // bundler plugin the ranges allow may add beside them.
    const entries = zipEntries(await readFile(join(project, 'deploy-out/lambda-mpi.zip')));
    expect(entries).toEqual(expect.arrayContaining(['http', 'run', 'sweep', 'worker'].map((handler) => `src/service/handlers/${handler}.mjs`)));
    expect(entries.filter((name) => name.endsWith('.ts') || name.startsWith('node_modules/'))).toEqual([]);
  });
});

describe('npx lambda-mpi offline', () => {
  it('starts the local stack, prints the export lines, serves a job over HTTP, runs the user\'s program shipped with run --stage (uploaded once), and stops on Ctrl-C', async () => {
    const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    // Its own process group, as a terminal would give it: Ctrl-C is SIGINT to the whole group.
    const child = spawn('npx', ['lambda-mpi', 'offline', '--stage', 'usertest', '--http-port', String(httpPort), '--lambda-port', String(lambdaPort), '--s3-port', String(s3Port), '--sqs-port', String(sqsPort)], {
      cwd: project,
      env: userEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    // 'close': every process holding its output pipes (npx, the CLI, the stack) has exited.
    const closed = new Promise<void>((done) => child.once('close', () => done()));
    try {
      const vars: Record<string, string> = {};
      for await (const line of createInterface({ input: child.stdout })) {
        const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
        if (match) vars[match[1]!] = match[2]!;
        if ('LAMBDA_MPI_API_KEY' in vars) break;
      }
      expect(vars, stderr).toMatchObject({
        AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${lambdaPort}`,
        AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}`,
        AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${sqsPort}`,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        LAMBDA_MPI_STAGE: 'usertest',
        LAMBDA_MPI_BUCKET: 'lambda-mpi-usertest-local',
        LAMBDA_MPI_RUN_FUNCTION: 'lambda-mpi-usertest-run',
        LAMBDA_MPI_HTTP_ENDPOINT: `http://127.0.0.1:${httpPort}/usertest`,
      });
      const response = await fetch(`${vars.LAMBDA_MPI_HTTP_ENDPOINT}/runs`, {
        method: 'POST',
        headers: { 'x-api-key': vars.LAMBDA_MPI_API_KEY!, 'content-type': 'application/json' },
        body: JSON.stringify({ program: 'hello', size: 2 }),
      });
      const body = (await response.json()) as { output: Array<{ line: string }> };
      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(body.output.map((o: { line: string }) => o.line.replace(/ on processor .*/, ''))).toEqual(['Hello. This is rank 0 of 2', 'Hello. This is rank 1 of 2']);
      // The user's own program, with its npm dependency (pure-rand), shipped to the local stage
      // and run on its functions; the second run ships nothing.
      const shipped = [];
      for (let run = 0; run < 2; run++) {
        const ran = await exec('npx', ['lambda-mpi', 'run', './birthday.ts', '-n', '4', '--input', '{"trials":20000}', '--stage', 'usertest'], { cwd: project, env: { ...userEnv(), ...vars }, timeout: 60_000 })
          .catch((error: { code: number; stdout: string; stderr: string }) => error);
        expect(ran.stderr).toMatch(/^lambda-mpi: job [a-z2-7]{26}: sha256:[0-9a-f]{64} on 4 ranks of stage usertest$/m);
        expect(ran.stdout).toMatch(/^23 people, 20000 trials on 4 ranks: P\(shared birthday\) ≈ 0\.5\d* \(exact 0\.5073\)$/m);
        shipped.push(/^lambda-mpi: (shipped|sha256:\S+ is already on stage usertest)/m.exec(ran.stderr)?.[1]?.replace(/^sha256:\S+ /, ''));
      }
      expect(shipped).toEqual(['shipped', 'is already on stage usertest']);
    } finally {
      process.kill(-child.pid!, 'SIGINT');
    }
    await closed;
    // npx itself ends by the signal, as in a terminal; the CLI below it stopped the stack first.
    expect(stderr).toMatch(/lambda-mpi offline: stopped\n$/);
    // Everything it started is gone: the ports refuse connections.
    for (const port of [httpPort, lambdaPort, s3Port, sqsPort]) await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  }, 120_000);
});
