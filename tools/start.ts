// npm start: brings the local AWS stack up (serverless-offline for API Gateway and Lambda, local
// S3 and SQS servers), runs the seed's three programs and Monte Carlo π as real Lambda
// invocations through it — rank 0 in the run function, the other ranks in worker functions —
// prints what the ranks printed and each job's result, and shuts everything down.
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { localLambdaClient } from './local-aws/clients.ts';
import { freePort } from './local-aws/free-port.ts';
import { startOfflineStack, type OfflineStack } from './local-aws/offline-stack.ts';

// The SDK's notice that its future versions need Node 22 is not about this run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const jobs = [
  { program: 'hello', size: 3 },
  { program: 'sendrecv', size: 2 },
  { program: 'reduce', size: 3 },
  { program: 'pi', size: 8, input: { samples: 10_000_000 } },
];

const step = (n: number, text: string) => console.log(`\n(${n}/${jobs.length + 2}) ${text}`);

step(1, 'starting the local stack: serverless-offline (API Gateway + Lambda), S3 and SQS on 127.0.0.1 …');
let stack: OfflineStack | undefined;
let failed = false;
const started = Date.now();
try {
  const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startOfflineStack({ httpPort, lambdaPort, s3Port, sqsPort, stage: 'local' });
  console.log(`  ready in ${((Date.now() - started) / 1000).toFixed(1)} s: Lambda ${stack.lambdaEndpoint}, HTTP ${stack.httpEndpoint}, S3 ${stack.s3Endpoint}, SQS ${stack.sqsEndpoint}`);
  const lambda = localLambdaClient(stack.lambdaEndpoint);
  for (const [index, job] of jobs.entries()) {
    step(index + 2, `${job.program} on ${job.size} ranks: invoking ${stack.functionName('run')} with ${JSON.stringify(job)}`);
    const t = Date.now();
    const response = await lambda.send(new InvokeCommand({ FunctionName: stack.functionName('run'), Payload: Buffer.from(JSON.stringify(job)) }));
    const body = JSON.parse(Buffer.from(response.Payload ?? []).toString() || 'null');
    if (response.FunctionError) {
      failed = true;
      console.error(`  failed: ${body?.errorMessage ?? JSON.stringify(body)}`);
      continue;
    }
    for (const line of body.output as Array<{ rank: number; line: string }>) console.log(`  [${line.rank}] ${line.line}`);
    console.log(`  result: ${JSON.stringify(body.result) ?? 'undefined'}  (${Date.now() - t} ms, job ${body.jobId})`);
  }
  lambda.destroy();
} catch (error) {
  failed = true;
  console.error(`npm start failed: ${(error as Error).message}`);
} finally {
  step(jobs.length + 2, 'stopping the local stack …');
  await stack?.stop();
  console.log('  stopped.');
}
process.exitCode = failed ? 1 : 0;
