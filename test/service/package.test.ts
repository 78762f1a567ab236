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
import { zipEntries } from '../fixtures/zip-entries.ts';
import { DATA_BUCKET_ACTIONS, DATA_OBJECT_ACTIONS, JOB_OBJECT_ACTIONS, JOB_QUEUE_ACTIONS } from '../../src/service/job-session-policy.ts';
import { addValkeyStage, valkeyStageOptions } from '../../tools/stage/valkey-stage-template.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const SERVICE = 'lambda-mpi';

type Json = any; // CloudFormation templates are untyped JSON
interface Packaged {
  template: Json;
  state: Json;
  /** The paths the deployment zip holds, read from its central directory. */
  entries: string[];
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
  const [template, state, entries] = await Promise.all([
    readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8').then(JSON.parse),
    readFile(join(out, 'serverless-state.json'), 'utf8').then(JSON.parse),
    readFile(join(out, `${SERVICE}.zip`)).then(zipEntries),
  ]);
  return { template, state, entries };
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

/** A statement list with CloudFormation's Fn::If resolved by the template's own conditions (Fn::Not, Fn::Equals of literals). */
function resolveIfs(template: Json, statements: Json[]): Json[] {
  const holds = (condition: Json): boolean => {
    if ('Fn::Not' in condition) return !holds(condition['Fn::Not'][0]);
    if ('Fn::Equals' in condition) return condition['Fn::Equals'][0] === condition['Fn::Equals'][1];
    throw new Error(`cannot evaluate ${JSON.stringify(condition)}`);
  };
  return statements.flatMap((statement) => {
    if (!('Fn::If' in statement)) return [statement];
    const [name, then, otherwise] = statement['Fn::If'];
    const chosen = holds(template.Conditions[name]) ? then : otherwise;
    return chosen?.Ref === 'AWS::NoValue' ? [] : [chosen];
  });
}

/** A resource value evaluated as CloudFormation would, with Fn::Join over a Fn::Split list and Fn::Split of a joined string. */
function evaluate(value: Json): string | string[] {
  if (value && typeof value === 'object' && 'Fn::Split' in value) {
    const [sep, inner] = value['Fn::Split'];
    return String(evaluate(inner)).split(sep);
  }
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [sep, parts] = value['Fn::Join'];
    const list = Array.isArray(parts) ? parts.map((part: Json) => String(evaluate(part))) : (evaluate(parts) as string[]);
    return list.join(sep);
  }
  return render(value);
}

function resources(value: Json): string[] {
  return [value].flat().flatMap((item: Json) => [evaluate(item)].flat());
}

/** Every (action, resource) pair of the job role, sorted. */
function jobRoleGrants(template: Json): string[] {
  return resolveIfs(template, template.Resources.JobRole.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement))
    .flatMap((st: Json) => [st.Action].flat().flatMap((a: string) => resources(st.Resource).map((r) => `${a} ${r}`)))
    .sort();
}

interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
}

const FUNCTIONS = ['run', 'worker', 'http', 'sweep'] as const;
type FunctionKey = (typeof FUNCTIONS)[number];
const logicalId = (fn: FunctionKey) => `${fn[0]!.toUpperCase()}${fn.slice(1)}LambdaFunction`;

/** The statements of the role a function runs with (its own: no role is shared). */
function roleStatements(template: Json, fn: FunctionKey): Statement[] {
  const roleRef = template.Resources[logicalId(fn)].Properties.Role;
  expect(roleRef['Fn::GetAtt']?.[1]).toBe('Arn');
  const role = template.Resources[roleRef['Fn::GetAtt'][0]];
  expect(role.Type).toBe('AWS::IAM::Role');
  expect(role.Properties.ManagedPolicyArns ?? []).toEqual([]);
  expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
    { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ]);
  return resolveIfs(template, role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement)).map((s: Json) => ({
    Effect: s.Effect,
    Action: [s.Action].flat(),
    Resource: resources(s.Resource),
  }));
}

/** Every (action, resource) pair a function's role grants, logs left out, sorted. */
function grants(template: Json, fn: FunctionKey): string[] {
  return roleStatements(template, fn)
    .flatMap((s) => s.Action.flatMap((a) => s.Resource.map((r) => `${a} ${r}`)))
    .filter((g) => !g.startsWith('logs:'))
    .sort();
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
/** A stage on the Valkey channel, as `lambda-mpi deploy --channel valkey` packages it. */
let valkey: Packaged;

beforeAll(async () => {
  [dev, prod, overridden, valkey] = await Promise.all([
    slsPackage([]),
    slsPackage(['--stage', 'prod']),
    slsPackage([
      '--stage', 'dev', '--param=runMemory=2048', '--param=workerTimeout=123', '--param=jobsRetentionDays=2',
      '--param=diagnostics=true', '--param=workerReservedConcurrency=50', '--param=dataBuckets=my-input-data,my-results', '--param=maxRanks=8', '--param=sweepSchedule=rate(2 minutes)',
    ]),
    slsPackage(['--stage', 'vk', '--param=channel=valkey']),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('sls package (offline)', () => {
  it('bundles the four handlers as ESM, and nothing else', () => {
    const handlers = FUNCTIONS.map((fn) => `src/service/handlers/${fn}.mjs`);
    expect(dev.entries.filter((name) => !name.endsWith('/')).sort()).toEqual(handlers.sort());
    for (const fn of FUNCTIONS) {
      const props = dev.template.Resources[logicalId(fn)].Properties;
      expect(props.Handler).toBe(`src/service/handlers/${fn}.handler`);
      expect(props.Runtime).toBe('nodejs24.x');
      expect(props.FunctionName).toBe(`${SERVICE}-dev-${fn}`);
    }
  });
});

describe('IAM: a role per function, each with only what that function does', () => {
  for (const [stage, get] of [['dev', () => dev], ['prod', () => prod]] as const) {
    const queues = `arn:{AWS::Partition}:sqs:{AWS::Region}:{AWS::AccountId}:${SERVICE}-${stage}-*`;
    const fnArn = (fn: string) => `arn:{AWS::Partition}:lambda:{AWS::Region}:{AWS::AccountId}:function:${SERVICE}-${stage}-${fn}`;

    it(`${stage}: four roles, one per function, and no provider-wide role`, () => {
      const { template } = get();
      const roles = FUNCTIONS.map((fn) => template.Resources[logicalId(fn)].Properties.Role['Fn::GetAtt'][0]);
      expect(new Set(roles).size).toBe(FUNCTIONS.length);
      // and the job role, which no function runs with: their programs do (below).
      expect(byType(template, 'AWS::IAM::Role').map(([id]) => id).sort()).toEqual([...roles, 'JobRole'].sort());
    });

    it(`${stage}: every statement names specific actions on specific resources`, () => {
      for (const fn of FUNCTIONS) {
        for (const s of roleStatements(get().template, fn)) {
          expect(s.Effect).toBe('Allow');
          for (const action of s.Action) expect(action).toMatch(/^(logs|sqs|s3|lambda|sts):[A-Za-z]+$/);
          // Reading the account's Lambda settings (run's free-concurrency check) names no resource:
          // IAM takes it only on '*'.
          if (fn === 'run' && s.Action.join() === 'lambda:GetAccountSettings') {
            expect(s.Resource).toEqual(['*']);
            continue;
          }
          for (const resource of s.Resource) {
            expect(resource).not.toBe('*');
            expect(resource).toMatch(/^(arn:|\{JobBucket\.Arn\})/);
            // Not "every resource of the service", except the one action IAM cannot scope further.
            if (!(fn === 'sweep' && s.Action.join() === 'sqs:ListQueues')) expect(resource).not.toMatch(/^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/);
          }
        }
      }
    });

    it(`${stage}: http (internet-facing) may start run and read and write run records, nothing of a job's queues`, () => {
      expect(grants(get().template, 'http')).toEqual([
        `lambda:InvokeFunction ${fnArn('run')}`,
        's3:GetObject {JobBucket.Arn}/jobs/*/alive',
        's3:GetObject {JobBucket.Arn}/programs/*',
        's3:GetObject {JobBucket.Arn}/runs/*',
        's3:ListBucket {JobBucket.Arn}',
        's3:PutObject {JobBucket.Arn}/jobs/*/input.json',
        's3:PutObject {JobBucket.Arn}/runs/*',
      ]);
    });

    const jobRoleArn = () => `arn:{AWS::Partition}:iam::{AWS::AccountId}:role/${get().template.Resources.JobRole.Properties.RoleName}`;

    it(`${stage}: run may create, use and delete the stage's queues, the job's objects and records, start workers and its job's next generation, and read the account's Lambda settings`, () => {
      expect(grants(get().template, 'run')).toEqual([
        'lambda:GetAccountSettings *',
        `lambda:InvokeFunction ${fnArn('run')}`,
        `lambda:InvokeFunction ${fnArn('worker')}`,
        's3:DeleteObject {JobBucket.Arn}/jobs/*',
        's3:DeleteObject {JobBucket.Arn}/runs/requests/*',
        's3:GetObject {JobBucket.Arn}/jobs/*',
        's3:GetObject {JobBucket.Arn}/programs/*',
        's3:GetObject {JobBucket.Arn}/runs/*',
        's3:ListBucket {JobBucket.Arn}',
        's3:PutObject {JobBucket.Arn}/jobs/*',
        's3:PutObject {JobBucket.Arn}/runs/*',
        ...['ChangeMessageVisibility', 'CreateQueue', 'DeleteMessage', 'DeleteQueue', 'GetQueueAttributes', 'GetQueueUrl', 'ReceiveMessage', 'SendMessage', 'TagQueue']
          .map((a) => `sqs:${a} ${queues}`),
        `sts:AssumeRole ${jobRoleArn()}`,
      ]);
    });

    it(`${stage}: worker may use the job's queues (not create or delete one) and objects, and start workers; no run records`, () => {
      expect(grants(get().template, 'worker')).toEqual([
        `lambda:InvokeFunction ${fnArn('worker')}`,
        's3:DeleteObject {JobBucket.Arn}/jobs/*',
        's3:GetObject {JobBucket.Arn}/jobs/*',
        's3:GetObject {JobBucket.Arn}/programs/*',
        's3:ListBucket {JobBucket.Arn}',
        's3:PutObject {JobBucket.Arn}/jobs/*',
        ...['ChangeMessageVisibility', 'DeleteMessage', 'GetQueueAttributes', 'ReceiveMessage', 'SendMessage'].map((a) => `sqs:${a} ${queues}`),
        `sts:AssumeRole ${jobRoleArn()}`,
      ]);
    });

    it(`${stage}: sweep may find and delete the stage's queues and job objects and record lost jobs; it runs nothing`, () => {
      expect(grants(get().template, 'sweep')).toEqual([
        's3:DeleteObject {JobBucket.Arn}/jobs/*',
        's3:GetObject {JobBucket.Arn}/jobs/*',
        's3:GetObject {JobBucket.Arn}/runs/*',
        's3:ListBucket {JobBucket.Arn}',
        's3:PutObject {JobBucket.Arn}/runs/*',
        ...['DeleteQueue', 'GetQueueAttributes', 'ListQueueTags'].map((a) => `sqs:${a} ${queues}`),
        'sqs:ListQueues arn:{AWS::Partition}:sqs:{AWS::Region}:{AWS::AccountId}:*',
      ].sort());
    });

    it(`${stage}: the job role, which a job's program runs under (narrowed to its job), is taken only by run and worker and grants only the use of the stage's job queues and objects`, () => {
      const { template } = get();
      const role = template.Resources.JobRole.Properties;
      expect(role.RoleName).toMatch(new RegExp(`^${SERVICE}-${stage}-[a-z]{2}(-[a-z]+)+-\\d-job$`));
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Principal: { AWS: [{ 'Fn::GetAtt': ['RunRole', 'Arn'] }, { 'Fn::GetAtt': ['WorkerRole', 'Arn'] }] }, Action: 'sts:AssumeRole' },
      ]);
      const granted = jobRoleGrants(template);
      // What a session policy may then narrow (job-session-policy.ts): every action it names is here.
      expect(granted).toEqual([
        ...JOB_OBJECT_ACTIONS.map((a) => `${a} {JobBucket.Arn}/jobs/*`),
        's3:ListBucket {JobBucket.Arn}',
        ...JOB_QUEUE_ACTIONS.map((a) => `${a} ${queues}`),
      ].sort());
      expect(template.Resources.RunLambdaFunction.Properties.Environment.Variables.LAMBDA_MPI_JOB_ROLE_ARN).toEqual({ 'Fn::GetAtt': ['JobRole', 'Arn'] });
      expect(template.Resources.WorkerLambdaFunction.Properties.Environment.Variables.LAMBDA_MPI_JOB_ROLE_ARN).toEqual({ 'Fn::GetAtt': ['JobRole', 'Arn'] });
    });

    it(`${stage}: each function writes only its own logs`, () => {
      for (const fn of FUNCTIONS) {
        const logs = roleStatements(get().template, fn).filter((s) => s.Action.some((a) => a.startsWith('logs:')));
        expect(logs.flatMap((s) => s.Action).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
        expect(logs.flatMap((s) => s.Resource)).toEqual([`arn:{AWS::Partition}:logs:{AWS::Region}:{AWS::AccountId}:log-group:/aws/lambda/${SERVICE}-${stage}-${fn}:*`]);
      }
    });

    it(`${stage}: the functions are told the names their roles allow`, () => {
      const env = get().template.Resources.RunLambdaFunction.Properties.Environment.Variables;
      expect(env.LAMBDA_MPI_QUEUE_PREFIX).toBe(`${SERVICE}-${stage}`);
      expect(env.LAMBDA_MPI_WORKER_FUNCTION).toBe(get().template.Resources.WorkerLambdaFunction.Properties.FunctionName);
      expect(env.LAMBDA_MPI_RUN_FUNCTION).toBe(get().template.Resources.RunLambdaFunction.Properties.FunctionName);
    });
  }
});

describe('data buckets (lambda-mpi deploy --data-bucket NAME)', () => {
  it("grant the job role (a program's session) read, write and multipart uploads on exactly those buckets, and nothing without them", () => {
    const extra = jobRoleGrants(overridden.template).filter((grant) => !jobRoleGrants(dev.template).includes(grant));
    expect(extra).toEqual([
      ...['my-input-data', 'my-results'].flatMap((bucket) => [
        ...DATA_BUCKET_ACTIONS.map((a) => `${a} arn:*:s3:::${bucket}`),
        ...DATA_OBJECT_ACTIONS.map((a) => `${a} arn:*:s3:::${bucket}/*`),
      ]),
    ].sort());
    expect(jobRoleGrants(dev.template).filter((grant) => grant.includes('arn:*:s3:::'))).toEqual([]);
    // The functions name them again, for each job's session policy.
    for (const fn of ['run', 'worker'] as const) {
      expect(overridden.template.Resources[logicalId(fn)].Properties.Environment.Variables.LAMBDA_MPI_DATA_BUCKETS).toBe('my-input-data,my-results');
      expect(dev.template.Resources[logicalId(fn)].Properties.Environment.Variables.LAMBDA_MPI_DATA_BUCKETS).toBe('');
    }
  });

  it('let run, worker and sweep abort the uploads a dead job left on them (its cleanup), and nothing else there; http nothing', () => {
    for (const fn of FUNCTIONS) {
      const extra = grants(overridden.template, fn).filter((grant) => !grants(dev.template, fn).includes(grant));
      expect(extra, fn).toEqual(fn === 'http' ? [] : ['s3:AbortMultipartUpload arn:*:s3:::my-input-data/*', 's3:AbortMultipartUpload arn:*:s3:::my-results/*']);
    }
  });
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
    for (const fn of FUNCTIONS) {
      expect(dev.template.Resources[logicalId(fn)].Properties.Environment.Variables.LAMBDA_MPI_BUCKET).toEqual({ Ref: 'JobBucket' });
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

  it('has POST /runs, GET and DELETE /runs/{jobId}, GET /runs/{jobId}/report, all to the http function', () => {
    const routes = methods().map((m) => `${m.HttpMethod} ${pathOf(m.ResourceId)}`).sort();
    expect(routes).toEqual(['DELETE /runs/{jobId}', 'GET /runs/{jobId}', 'GET /runs/{jobId}/report', 'POST /runs']);
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

  it('async invocations are not retried (a restarted rank cannot rejoin its job), and a start not run within a minute is dropped', () => {
    const configs = Object.fromEntries(byType(dev.template, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => [render(c.Properties.FunctionName), c.Properties]));
    expect(Object.keys(configs).sort()).toEqual(['{RunLambdaFunction}', '{SweepLambdaFunction}', '{WorkerLambdaFunction}']);
    for (const c of Object.values(configs)) expect(c.MaximumRetryAttempts).toBe(0);
    // Lambda retries a throttled event for up to 6 hours by default; 60 s is its least.
    expect(configs['{RunLambdaFunction}'].MaximumEventAgeInSeconds).toBe(60);
    expect(configs['{WorkerLambdaFunction}'].MaximumEventAgeInSeconds).toBe(60);
  });
});

describe('cost guards per stage', () => {
  const fnEnv = (p: Packaged, fn: FunctionKey) => p.template.Resources[logicalId(fn)].Properties.Environment.Variables;
  const usagePlan = (p: Packaged) => byType(p.template, 'AWS::ApiGateway::UsagePlan')[0]![1].Properties;

  it('the API key has a throttle and a daily quota from the params of the stage', () => {
    for (const [p, stage] of [[dev, 'dev'], [prod, 'prod']] as const) {
      expect(usagePlan(p).Throttle).toEqual({ RateLimit: param(p.state, stage, 'apiRateLimit'), BurstLimit: param(p.state, stage, 'apiBurstLimit') });
      expect(usagePlan(p).Quota).toEqual({ Limit: param(p.state, stage, 'apiQuotaPerDay'), Period: 'DAY' });
    }
    expect(usagePlan(prod).Quota.Limit).not.toBe(usagePlan(dev).Quota.Limit);
  });

  it('the largest job and the longest timeout are the stage\'s, and the longest fits the run function', () => {
    for (const [p, stage] of [[dev, 'dev'], [prod, 'prod']] as const) {
      for (const fn of ['run', 'http'] as const) {
        expect(fnEnv(p, fn).LAMBDA_MPI_MAX_RANKS).toBe(String(param(p.state, stage, 'maxRanks')));
        expect(fnEnv(p, fn).LAMBDA_MPI_MAX_JOB_SECONDS).toBe(String(param(p.state, stage, 'maxJobSeconds')));
      }
      const runTimeout = p.template.Resources.RunLambdaFunction.Properties.Timeout;
      expect(Number(fnEnv(p, 'run').LAMBDA_MPI_MAX_JOB_SECONDS)).toBeLessThanOrEqual(runTimeout - 10);
      expect(Number(fnEnv(p, 'run').LAMBDA_MPI_MAX_RANKS)).toBeLessThanOrEqual(1024);
    }
    expect(fnEnv(overridden, 'http').LAMBDA_MPI_MAX_RANKS).toBe('8');
  });

  it('runs the diagnostics programs only on a stage that asks for them', () => {
    for (const fn of ['run', 'worker', 'http'] as const) {
      expect(fnEnv(dev, fn).LAMBDA_MPI_DIAGNOSTICS).toBe('false');
      expect(fnEnv(prod, fn).LAMBDA_MPI_DIAGNOSTICS).toBe('false');
      expect(fnEnv(overridden, fn).LAMBDA_MPI_DIAGNOSTICS).toBe('true');
    }
  });

  it('reserves worker concurrency only when asked', () => {
    expect(dev.template.Resources.WorkerLambdaFunction.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(Number(overridden.template.Resources.WorkerLambdaFunction.Properties.ReservedConcurrentExecutions)).toBe(50);
  });

  it('the sweeper runs on the schedule of the stage', () => {
    const rule = (p: Packaged) => byType(p.template, 'AWS::Events::Rule').map(([, r]) => r.Properties);
    for (const p of [dev, overridden]) {
      expect(rule(p)).toHaveLength(1);
      expect(render(rule(p)[0].Targets[0].Arn)).toBe('{SweepLambdaFunction.Arn}');
    }
    expect(rule(dev)[0].ScheduleExpression).toBe(param(dev.state, 'dev', 'sweepSchedule'));
    expect(rule(overridden)[0].ScheduleExpression).toBe('rate(2 minutes)');
  });
});

describe('a stage on Valkey (deploy --channel valkey)', () => {
  const resources = () => valkey.template.Resources as Record<string, Json>;
  const ofType = (type: string) => byType(valkey.template, type);
  const groupOf = (ref: Json) => render(ref).replace(/^\{(.*)\.GroupId\}$/, '$1');
  /** Every rule of a security group, inline or as a resource of its own, as "direction proto ports peer". */
  function rules(group: string): string[] {
    const peer = (r: Json) => r.CidrIp ?? groupOf(r.DestinationSecurityGroupId ?? r.SourceSecurityGroupId);
    const line = (direction: string, r: Json) => `${direction} ${r.IpProtocol} ${r.FromPort ?? ''}-${r.ToPort ?? ''} ${peer(r)}`;
    const props = resources()[group]!.Properties;
    return [
      ...(props.SecurityGroupEgress ?? []).map((r: Json) => line('egress', r)),
      ...(props.SecurityGroupIngress ?? []).map((r: Json) => line('ingress', r)),
      ...ofType('AWS::EC2::SecurityGroupEgress').filter(([, r]) => groupOf(r.Properties.GroupId) === group).map(([, r]) => line('egress', r.Properties)),
      ...ofType('AWS::EC2::SecurityGroupIngress').filter(([, r]) => groupOf(r.Properties.GroupId) === group).map(([, r]) => line('ingress', r.Properties)),
    ].sort();
  }
  const subnets = () => ofType('AWS::EC2::Subnet').map(([id]) => `{${id}}`).sort();

  it('has an ElastiCache Serverless cache, engine valkey, in the private subnets behind its own group', () => {
    const caches = ofType('AWS::ElastiCache::ServerlessCache');
    expect(caches).toHaveLength(1);
    const [, cache] = caches[0]!;
    expect(cache.Properties.Engine).toBe('valkey');
    expect(cache.Properties.SubnetIds.map(render).sort()).toEqual(subnets());
    expect(cache.Properties.SecurityGroupIds.map(groupOf)).toEqual(['CacheSecurityGroup']);
  });

  it('creates a VPC with two private subnets in two zones: no internet gateway, no NAT, no route out', () => {
    expect(ofType('AWS::EC2::VPC')).toHaveLength(1);
    const created = ofType('AWS::EC2::Subnet').map(([, s]) => s.Properties);
    expect(created).toHaveLength(2);
    expect(created.map((s) => s.AvailabilityZone['Fn::Select'][0]).sort()).toEqual([0, 1]);
    for (const s of created) expect(s.MapPublicIpOnLaunch).toBe(false);
    for (const type of ['AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway', 'AWS::EC2::Route', 'AWS::EC2::VPCGatewayAttachment']) expect(ofType(type)).toEqual([]);
  });

  it('reaches S3 by a gateway endpoint on the subnets\' routes, Lambda and STS by interface endpoints in both subnets', () => {
    const endpoints = Object.fromEntries(ofType('AWS::EC2::VPCEndpoint').map(([, e]) => [render(e.Properties.ServiceName), e.Properties]));
    expect(Object.keys(endpoints).sort()).toEqual(['com.amazonaws.{AWS::Region}.lambda', 'com.amazonaws.{AWS::Region}.s3', 'com.amazonaws.{AWS::Region}.sts']);
    const s3 = endpoints['com.amazonaws.{AWS::Region}.s3'];
    expect(s3.VpcEndpointType).toBe('Gateway');
    const routed = ofType('AWS::EC2::SubnetRouteTableAssociation').map(([, a]) => a.Properties);
    expect(routed.map((a) => render(a.SubnetId)).sort()).toEqual(subnets());
    for (const a of routed) expect(s3.RouteTableIds.map(render)).toContain(render(a.RouteTableId));
    for (const service of ['lambda', 'sts']) {
      const e = endpoints[`com.amazonaws.{AWS::Region}.${service}`];
      expect(e).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
      expect(e.SubnetIds.map(render).sort()).toEqual(subnets());
      expect(e.SecurityGroupIds.map(groupOf)).toEqual(['EndpointsSecurityGroup']);
    }
  });

  it('security groups: functions reach the cache on 6379-6380 and HTTPS only; the cache and the endpoints take only the functions, and send nothing', () => {
    expect(ofType('AWS::EC2::SecurityGroup').map(([id]) => id).sort()).toEqual(['CacheSecurityGroup', 'EndpointsSecurityGroup', 'FunctionsSecurityGroup']);
    expect(rules('FunctionsSecurityGroup')).toEqual(['egress tcp 443-443 0.0.0.0/0', 'egress tcp 6379-6380 CacheSecurityGroup']);
    expect(rules('CacheSecurityGroup')).toEqual(['egress -1 - 127.0.0.1/32', 'ingress tcp 6379-6380 FunctionsSecurityGroup']);
    expect(rules('EndpointsSecurityGroup')).toEqual(['egress -1 - 127.0.0.1/32', 'ingress tcp 443-443 FunctionsSecurityGroup']);
  });

  it('runs the run, worker and sweep functions in the VPC with the cache\'s rediss:// URL; http stays outside', () => {
    for (const fn of ['run', 'worker', 'sweep'] as const) {
      const props = resources()[logicalId(fn)].Properties;
      expect(props.VpcConfig.SecurityGroupIds.map(groupOf)).toEqual(['FunctionsSecurityGroup']);
      expect(props.VpcConfig.SubnetIds.map(render).sort()).toEqual(subnets());
      expect(props.Environment.Variables.LAMBDA_MPI_CHANNEL).toBe('valkey');
      expect(render(props.Environment.Variables.LAMBDA_MPI_VALKEY_URL)).toBe('rediss://{ValkeyCache.Endpoint.Address}:{ValkeyCache.Endpoint.Port}');
    }
    for (const fn of ['http'] as const) {
      const props = resources()[logicalId(fn)].Properties;
      expect(props.VpcConfig).toBeUndefined();
      expect(props.Environment.Variables.LAMBDA_MPI_CHANNEL).toBeUndefined();
    }
  });

  it('grants run, worker and sweep what they have on an SQS stage plus only the network interfaces Lambda places in the VPC', () => {
    const eni = ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:UnassignPrivateIpAddresses'];
    const stageless = (g: string) => g.replaceAll(`${SERVICE}-vk-`, `${SERVICE}-dev-`);
    for (const fn of ['run', 'worker', 'sweep'] as const) {
      expect(grants(valkey.template, fn).map(stageless)).toEqual([...grants(dev.template, fn), ...eni.map((a) => `${a} *`)].sort());
    }
    expect(grants(valkey.template, 'http').map(stageless)).toEqual(grants(dev.template, 'http'));
  });

  it('with --vpc and --subnets, uses that VPC and its subnets and creates neither', () => {
    const template = structuredClone(dev.template);
    const subnetIds = ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'];
    addValkeyStage(template, valkeyStageOptions('dev', 'vpc-0123456789abcdef0', subnetIds.join(',')));
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::RouteTable']) expect(byType(template, type)).toEqual([]);
    for (const [, group] of byType(template, 'AWS::EC2::SecurityGroup')) expect(group.Properties.VpcId).toBe('vpc-0123456789abcdef0');
    expect(byType(template, 'AWS::ElastiCache::ServerlessCache')[0]![1].Properties.SubnetIds).toEqual(subnetIds);
    expect(template.Resources.WorkerLambdaFunction.Properties.VpcConfig.SubnetIds).toEqual(subnetIds);
    expect(() => valkeyStageOptions('dev', 'vpc-0123456789abcdef0', 'subnet-0123456789abcdef0')).toThrow(/--subnets must name two or more subnets/);
  });

  it('an SQS stage has none of it', () => {
    for (const type of ['AWS::ElastiCache::ServerlessCache', 'AWS::EC2::VPC', 'AWS::EC2::VPCEndpoint', 'AWS::EC2::SecurityGroup']) expect(byType(dev.template, type)).toEqual([]);
    for (const fn of FUNCTIONS) expect(dev.template.Resources[logicalId(fn)].Properties.VpcConfig).toBeUndefined();
  });
});
