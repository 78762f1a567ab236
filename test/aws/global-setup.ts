import type { TestProject } from 'vitest/node';
import { startEmulatorProcess } from '../../tools/local-aws/emulator-process.ts';
import { findLeftovers } from './leftovers.ts';
import type { LocalAwsContext } from './local-aws-context.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    localAws: LocalAwsContext;
  }
}

export const TEST_BUCKET = 'lambda-mpi-test';

/**
 * The real SQS and S3 wire protocols on loopback, for the whole test run: started here, as the
 * plugin and the bench start them (a child process reporting ready on its JSON line), on free
 * ports, and stopped when the run ends. Nothing else needs to be running.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const local = await startEmulatorProcess({ buckets: [TEST_BUCKET] });
  const context: LocalAwsContext = {
    region: local.region,
    sqsEndpoint: local.sqsEndpoint,
    s3Endpoint: local.s3Endpoint,
    credentials: local.credentials,
    bucket: TEST_BUCKET,
  };
  project.provide('localAws', context);
  return async () => {
    // After every test file, including the jobs that failed on purpose: nothing may be left.
    // (A teardown's exception does not fail a vitest run, so the verdict goes to the exit code.)
    try {
      const left = await findLeftovers(context, '', ['jobs/']);
      if (left.queues.length || left.objects.length) {
        console.error(`lambda-mpi jobs left resources behind:\n  queues: ${left.queues.join(', ') || 'none'}\n  objects: ${left.objects.join(', ') || 'none'}`);
        process.exitCode = 1;
      }
    } finally {
      await local.stop();
    }
  };
}
