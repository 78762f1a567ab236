import { exportLines } from '../../src/cli/commands/offline.ts';
import type { OfflineStack } from '../../tools/local-aws/offline-stack.ts';

/**
 * The environment of a user's shell once it ran the `export` lines `lambda-mpi offline` prints for
 * `stack`: this process's own, without any AWS_ or LAMBDA_MPI_ variable of its own.
 */
export function offlineShellEnv(stack: OfflineStack, stage: string): NodeJS.ProcessEnv {
  const exported = exportLines({
    event: 'ready',
    stage, httpEndpoint: stack.httpEndpoint, lambdaEndpoint: stack.lambdaEndpoint, s3Endpoint: stack.s3Endpoint, sqsEndpoint: stack.sqsEndpoint,
    apiKey: stack.apiKey, bucket: stack.bucket, queuePrefix: `lambda-mpi-${stage}`,
    functions: { run: stack.functionName('run'), worker: stack.functionName('worker'), http: stack.functionName('http') },
    credentials: stack.credentials, region: stack.region,
  });
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('LAMBDA_MPI_')));
  return {
    ...base,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...Object.fromEntries(exported.map((line) => /^export ([A-Z0-9_]+)=(.*)$/.exec(line)!.slice(1))),
  };
}
