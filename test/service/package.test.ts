/**
 * `sls package`, offline, and what the CloudFormation template it produces promises: IAM scoped to
 * this stage's own queues, bucket and functions; a private, encrypted job bucket that expires what
 * a crash leaves; HTTP routes that need an API key; memory and timeout from the stage's params.
 *
 * Each package runs in its own copy of the service (node_modules linked): `sls package` clears and
 * refills `<service>/.serverless` and the bundler's work folder, so two runs (or a developer's
 * `sls offline` next to the tests) must never share a directory.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeZipScratch } from '../../src/cli/serverless.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const SERVICE = 'lambda-mpi';

type Json = any; // CloudFormation templates are untyped JSON
interface Packaged {
  template: Json;
  state: Json;
  zip: Buffer;
}

const scratch: string[] = [];

/** A copy of the service with node_modules linked, so parallel packages share no directory. */
async function serviceCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lambda-mpi-package-'));
  scratch.push(dir);
  await Promise.all([
    ...['serverless.yml', 'package.json', 'tsconfig.json'].map((f) => cp(join(ROOT, f), join(dir, f))),
    ...['src', 'tools'].map((d) => cp(join(ROOT, d), join(dir, d), { recursive: true })),
    symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir'),
  ]);
  return dir;
}

/** No real credentials or endpoints leak in; packaging must not need any. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') || k === 'AWS_CA_BUNDLE') env[k] = v;
  return { ...env, AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', CI: '1' };
}

async function slsPackage(args: string[]): Promise<Packaged> {
  const dir = await serviceCopy();
  const out = join(dir, 'out');
  const packaging = run(process.execPath, [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'package', '--package', out, ...args], {
    cwd: dir,
    env: offlineEnv(),
    timeout: 45_000,
  });
  try {
    await packaging;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`sls package ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  } finally {
    if (packaging.child.pid !== undefined) await removeZipScratch(packaging.child.pid);
  }
  const [template, state, zip] = await Promise.all([
    readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8').then(JSON.parse),
    readFile(join(out, 'serverless-state.json'), 'utf8').then(JSON.parse),
    readFile(join(out, `${SERVICE}.zip`)),
  ]);
  return { template, state, zip };
}

/**
 * Renders the intrinsic functions used for ARNs into a comparable string: Ref X → {X},
 * GetAtt X.Arn → {X.Arn}, Join concatenates, Sub keeps its ${…} placeholders.
 */
function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    if ('Ref' in value) return `{${value.Ref}}`;
    if ('Fn::GetAtt' in value) return `{${[value['Fn::GetAtt']].flat().join('.')}}`;
    if ('Fn::Join' in value) {
      const [sep, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map(render).join(sep);
    }
    if ('Fn::Sub' in value) return String([value['Fn::Sub']].flat()[0]).replace(/\$\{([^}]+)\}/g, '{$1}');
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
}

function roleStatements(template: Json): Statement[] {
  const roles = Object.values(template.Resources).filter((r: Json) => r.Type === 'AWS::IAM::Role') as Json[];
  expect(roles).toHaveLength(1);
  const role = roles[0];
  expect(role.Properties.ManagedPolicyArns ?? []).toEqual([]);
  return role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement).map((s: Json) => ({
    Effect: s.Effect,
    Action: [s.Action].flat(),
    Resource: [s.Resource].flat().map(render),
  }));
}

const byType = (template: Json, type: string): [string, Json][] =>
  Object.entries(template.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);

/** The value a param has for a stage, from the packaged configuration itself. */
function param(state: Json, stage: string, name: string): unknown {
  const params = state.service.initialServerlessConfig.params;
  return params[stage]?.[name] ?? params.default[name];
}

let dev: Packaged;
let prod: Packaged;
let overridden: Packaged;

beforeAll(async () => {
  [dev, prod, overridden] = await Promise.all([
    slsPackage([]),
    slsPackage(['--stage', 'prod']),
    slsPackage(['--stage', 'dev', '--param=runMemory=2048', '--param=workerTimeout=123', '--param=jobsRetentionDays=2']),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('sls package (offline)', () => {
  it('bundles the three handlers as ESM, and nothing else', () => {
    const names = ['src/service/handlers/run.mjs', 'src/service/handlers/worker.mjs', 'src/service/handlers/http.mjs'];
    for (const name of names) expect(dev.zip.includes(Buffer.from(name))).toBe(true);
    expect(dev.zip.includes(Buffer.from('node_modules/'))).toBe(false);
    for (const source of ['src/mpi/', 'src/runtime/', 'src/transport/', '.ts']) expect(dev.zip.includes(Buffer.from(source))).toBe(false);
    for (const [key, fn] of [['Run', 'run'], ['Worker', 'worker'], ['Http', 'http']] as const) {
      const props = dev.template.Resources[`${key}LambdaFunction`].Properties;
      expect(props.Handler).toBe(`src/service/handlers/${fn}.handler`);
      expect(props.Runtime).toBe('nodejs24.x');
      expect(props.FunctionName).toBe(`${SERVICE}-dev-${fn}`);
    }
  });
});

describe('IAM', () => {
  for (const [stage, get] of [['dev', () => dev], ['prod', () => prod]] as const) {
    it(`${stage}: every statement names specific actions on specific resources`, () => {
      for (const s of roleStatements(get().template)) {
        expect(s.Effect).toBe('Allow');
        for (const action of s.Action) expect(action).toMatch(/^(logs|sqs|s3|lambda):[A-Za-z]+$/);
        for (const resource of s.Resource) {
          expect(resource).not.toBe('*');
          expect(resource).toMatch(/^(arn:|\{JobBucket\.Arn\})/);
          expect(resource).not.toMatch(/^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/); // not "every resource of the service"
        }
      }
    });

    it(`${stage}: SQS only on this stage's queues (by name prefix)`, () => {
      const env = get().template.Resources.RunLambdaFunction.Properties.Environment.Variables;
      expect(env.LAMBDA_MPI_QUEUE_PREFIX).toBe(`${SERVICE}-${stage}`);
      const sqs = roleStatements(get().template).filter((s) => s.Action.some((a) => a.startsWith('sqs:')));
      expect(sqs.length).toBeGreaterThan(0);
      for (const s of sqs) {
        expect(s.Action.every((a) => a.startsWith('sqs:'))).toBe(true);
        expect(s.Resource).toEqual([`arn:{AWS::Partition}:sqs:{AWS::Region}:{AWS::AccountId}:${env.LAMBDA_MPI_QUEUE_PREFIX}-*`]);
      }
      expect(sqs.flatMap((s) => s.Action)).toEqual(expect.arrayContaining(['sqs:CreateQueue', 'sqs:DeleteQueue', 'sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']));
    });

    it(`${stage}: S3 only on the job bucket and its objects; shipped programs (programs/) read-only`, () => {
      const s3 = roleStatements(get().template).filter((s) => s.Action.some((a) => a.startsWith('s3:')));
      expect(s3.length).toBeGreaterThan(0);
      // Every (action, resource) pair the role grants on S3.
      const grants = s3.flatMap((s) => {
        expect(s.Action.every((a) => a.startsWith('s3:'))).toBe(true);
        return s.Action.flatMap((a) => s.Resource.map((r) => `${a} ${r}`));
      });
      expect(grants.sort()).toEqual([
        's3:DeleteObject {JobBucket.Arn}/jobs/*',
        's3:DeleteObject {JobBucket.Arn}/runs/*',
        's3:GetObject {JobBucket.Arn}/jobs/*',
        's3:GetObject {JobBucket.Arn}/programs/*',
        's3:GetObject {JobBucket.Arn}/runs/*',
        's3:ListBucket {JobBucket.Arn}',
        's3:PutObject {JobBucket.Arn}/jobs/*',
        's3:PutObject {JobBucket.Arn}/runs/*',
      ]);
    });

    it(`${stage}: lambda:InvokeFunction only on its own worker and run functions`, () => {
      const { template } = get();
      const env = template.Resources.RunLambdaFunction.Properties.Environment.Variables;
      const worker = template.Resources.WorkerLambdaFunction.Properties.FunctionName;
      const runFn = template.Resources.RunLambdaFunction.Properties.FunctionName;
      expect(env.LAMBDA_MPI_WORKER_FUNCTION).toBe(worker);
      expect(env.LAMBDA_MPI_RUN_FUNCTION).toBe(runFn);
      const lambda = roleStatements(template).filter((s) => s.Action.some((a) => a.startsWith('lambda:')));
      expect(lambda.flatMap((s) => s.Action)).toEqual(['lambda:InvokeFunction']);
      const arn = (name: string) => `arn:{AWS::Partition}:lambda:{AWS::Region}:{AWS::AccountId}:function:${name}`;
      expect(lambda.flatMap((s) => s.Resource).sort()).toEqual([arn(runFn), arn(worker)].sort());
    });

    it(`${stage}: logs only for this stage's functions`, () => {
      const logs = roleStatements(get().template).filter((s) => s.Action.some((a) => a.startsWith('logs:')));
      for (const s of logs) {
        for (const r of s.Resource) expect(r).toContain(`:log-group:/aws/lambda/${SERVICE}-${stage}`);
      }
    });
  }
});

describe('the job bucket', () => {
  const bucket = () => dev.template.Resources.JobBucket;

  it('is private: all four public-access blocks on, bucket-owner-enforced, TLS only', () => {
    expect(bucket().Type).toBe('AWS::S3::Bucket');
    expect(bucket().Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket().Properties.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    const [[, policy]] = byType(dev.template, 'AWS::S3::BucketPolicy').filter(([, p]) => p.Properties.Bucket.Ref === 'JobBucket');
    const statements = policy.Properties.PolicyDocument.Statement as Json[];
    // The bucket policy only denies; nothing is granted to anyone through it.
    expect(statements.every((s) => s.Effect === 'Deny')).toBe(true);
    expect(statements).toContainEqual(expect.objectContaining({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('is encrypted at rest', () => {
    const rules = bucket().Properties.BucketEncryption.ServerSideEncryptionConfiguration as Json[];
    expect(rules).toHaveLength(1);
    expect(['AES256', 'aws:kms']).toContain(rules[0].ServerSideEncryptionByDefault.SSEAlgorithm);
  });

  it('expires jobs/ (crash leftovers) and runs/ (results) by lifecycle rules from the params', () => {
    for (const [{ template, state }, stage] of [[dev, 'dev'], [prod, 'prod'], [overridden, 'dev']] as const) {
      const rules = template.Resources.JobBucket.Properties.LifecycleConfiguration.Rules as Json[];
      // A --param value arrives as a string ("2"); CloudFormation takes either for an integer.
      const days = (prefix: string) => Number(rules.find((r) => r.Prefix === prefix && r.Status === 'Enabled')?.ExpirationInDays);
      expect(days('runs/')).toBe(param(state, stage, 'runsRetentionDays'));
      expect(days('jobs/')).toBe(template === overridden.template ? 2 : param(state, stage, 'jobsRetentionDays'));
      expect(days('jobs/')).toBeGreaterThanOrEqual(1);
      expect(days('runs/')).toBeGreaterThanOrEqual(days('jobs/'));
    }
  });

  it('never expires shipped programs: no lifecycle rule covers programs/', () => {
    const rules = dev.template.Resources.JobBucket.Properties.LifecycleConfiguration.Rules as Json[];
    const prefixOf = (r: Json): string => r.Prefix ?? r.Filter?.Prefix ?? '';
    expect(rules.filter((r) => 'programs/sha256-0.mjs'.startsWith(prefixOf(r))).map((r) => r.Id)).toEqual([]);
  });

  it('names the bucket and the run function in the stack outputs (where `lambda-mpi run --stage` finds them)', () => {
    const outputs = dev.template.Outputs;
    expect(outputs.JobBucketName.Value).toEqual({ Ref: 'JobBucket' });
    expect(outputs.RunFunctionName.Value).toBe(dev.template.Resources.RunLambdaFunction.Properties.FunctionName);
  });

  it('is what the functions are told to use', () => {
    for (const key of ['RunLambdaFunction', 'WorkerLambdaFunction', 'HttpLambdaFunction']) {
      expect(dev.template.Resources[key].Properties.Environment.Variables.LAMBDA_MPI_BUCKET).toEqual({ Ref: 'JobBucket' });
    }
  });
});

describe('the HTTP API', () => {
  const methods = () => byType(dev.template, 'AWS::ApiGateway::Method').map(([, m]) => m.Properties);
  const pathOf = (resourceId: Json): string => {
    if (resourceId['Fn::GetAtt']) return '';
    const res = dev.template.Resources[resourceId.Ref].Properties;
    return `${pathOf(res.ParentId)}/${res.PathPart}`;
  };

  it('has POST /runs, GET and DELETE /runs/{jobId}, all to the http function', () => {
    const routes = methods().map((m) => `${m.HttpMethod} ${pathOf(m.ResourceId)}`).sort();
    expect(routes).toEqual(['DELETE /runs/{jobId}', 'GET /runs/{jobId}', 'POST /runs']);
    for (const m of methods()) expect(render(m.Integration.Uri)).toContain('{HttpLambdaFunction.Arn}');
  });

  it('requires an API key on every method, and has one key in a usage plan', () => {
    for (const m of methods()) expect(m.ApiKeyRequired).toBe(true);
    expect(byType(dev.template, 'AWS::ApiGateway::ApiKey')).toHaveLength(1);
    expect(byType(dev.template, 'AWS::ApiGateway::UsagePlan')).toHaveLength(1);
    expect(byType(dev.template, 'AWS::ApiGateway::UsagePlanKey')).toHaveLength(1);
    const [[, key]] = byType(dev.template, 'AWS::ApiGateway::ApiKey');
    expect(key.Properties.Value).toBeUndefined(); // AWS generates it; no secret in the repository
  });
});

describe('what a job costs', () => {
  it("tells every function its architecture, as deployed, for a job's cost estimate", () => {
    for (const fn of ['Run', 'Worker', 'Http']) {
      const props = dev.template.Resources[`${fn}LambdaFunction`].Properties;
      expect(props.Environment.Variables.LAMBDA_MPI_ARCHITECTURE).toBe(props.Architectures[0]);
    }
  });
});

describe('memory and timeout per stage', () => {
  const fnProps = (p: Packaged, fn: string) => p.template.Resources[`${fn[0].toUpperCase()}${fn.slice(1)}LambdaFunction`].Properties;

  it('come from the params of the stage (default, then the stage, then --param)', () => {
    for (const [p, stage] of [[dev, 'dev'], [prod, 'prod']] as const) {
      for (const fn of ['run', 'worker', 'http']) {
        expect(fnProps(p, fn).MemorySize).toBe(param(p.state, stage, `${fn}Memory`));
        expect(fnProps(p, fn).Timeout).toBe(param(p.state, stage, `${fn}Timeout`));
      }
      // The HTTP function reads the longest job it may ask the run function for from here.
      expect(fnProps(p, 'http').Environment.Variables.LAMBDA_MPI_RUN_TIMEOUT_SECONDS).toBe(String(fnProps(p, 'run').Timeout));
    }
    expect(fnProps(overridden, 'run').MemorySize).toBe(2048);
    expect(fnProps(overridden, 'worker').Timeout).toBe(123);
    expect(fnProps(overridden, 'worker').MemorySize).toBe(fnProps(dev, 'worker').MemorySize);
  });

  it('prod is configured apart from dev', () => {
    expect(fnProps(prod, 'run').Timeout).toBeGreaterThan(fnProps(dev, 'run').Timeout);
    expect(fnProps(prod, 'worker').MemorySize).toBeGreaterThan(fnProps(dev, 'worker').MemorySize);
    expect(fnProps(prod, 'run').Timeout).toBeLessThanOrEqual(900);
  });

  it('async invocations of run and worker are not retried (a restarted rank cannot rejoin its job)', () => {
    const configs = byType(dev.template, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties);
    const fnName = (c: Json) => render(c.FunctionName);
    expect(configs.map(fnName).sort()).toEqual(['{RunLambdaFunction}', '{WorkerLambdaFunction}']);
    for (const c of configs) expect(c.MaximumRetryAttempts).toBe(0);
  });
});
