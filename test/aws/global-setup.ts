import type { TestProject } from 'vitest/node';
import { isProcessAlive } from '../../tools/local-aws/child-process.ts';
import { startEmulatorProcess } from '../../tools/local-aws/emulator-process.ts';
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
  // The servers' own lines (how they stopped, an error that ended them), kept for the end of the
  // run: if they stop before it, the run says so with them, instead of only the tests' refusals.
  const lines: string[] = [];
  const errors: string[] = [];
  const local = await startEmulatorProcess({
    buckets: [TEST_BUCKET],
    log: (line) => {
      lines.push(`${new Date().toISOString()} ${line}`.slice(0, 2_000));
      if (lines.length > 200) lines.shift();
      if (line.includes('no request handler caught') && errors.length < 20) errors.push(line);
    },
  });
  const context: LocalAwsContext = {
    region: local.region,
    sqsEndpoint: local.sqsEndpoint,
    s3Endpoint: local.s3Endpoint,
    credentials: local.credentials,
    bucket: TEST_BUCKET,
  };
  project.provide('localAws', context);
  // Each test file that runs jobs here checks, in a test of its own, that they left nothing behind.
  return async () => {
    if (!isProcessAlive(local.pid)) {
      console.error(`the local S3/SQS servers (pid ${local.pid}) stopped before the test run ended; their last lines:\n${lines.slice(-40).join('\n') || '(none)'}`);
    } else if (errors.length > 0) {
      console.error(`the local S3/SQS servers met errors no request handler caught during the run:\n${errors.join('\n')}`);
    }
    await local.stop();
  };
}
