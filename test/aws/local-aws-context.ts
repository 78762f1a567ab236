/** What the global setup provides to every test file: the loopback S3 and SQS servers. */
export interface LocalAwsContext {
  region: string;
  sqsEndpoint: string;
  s3Endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  bucket: string;
}
