/**
 * The local stack's fixed values, in one place. They live in defaults.json so that serverless.yml
 * (`${file(./tools/local-aws/defaults.json):…}`) and the CommonJS serverless plugin read the very
 * same file; this module gives the TypeScript tools the ones they use, typed. (The API key and
 * the bucket's name reach programs through the stack's ready line: offline-stack.ts.)
 *
 * - host: everything binds to loopback only.
 * - ports: what `sls offline start` uses unless told otherwise (API Gateway, the Lambda invoke
 *   API, S3, SQS); the tests and `npm start` pick free ports instead.
 * - apiKey: the fixed x-api-key of the private HTTP routes under serverless-offline, so local
 *   calls are scriptable (on AWS, API Gateway generates the key).
 * - credentials: the only pair s3rver accepts (it verifies signatures); local-aws-sqs checks none.
 * - bucketSuffix: the local job bucket is `<service>-<stage>-<bucketSuffix>`.
 */
import defaults from './defaults.json' with { type: 'json' };

export const LOCAL_HOST: string = defaults.host;
export const LOCAL_PORTS: Readonly<{ http: number; lambda: number; s3: number; sqs: number }> = defaults.ports;
export const LOCAL_REGION: string = defaults.region;
export const LOCAL_CREDENTIALS: Readonly<{ accessKeyId: string; secretAccessKey: string }> = defaults.credentials;
