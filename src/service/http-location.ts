/** The parts of an API Gateway (REST) proxy event that say where the API was reached. */
export interface RequestOrigin {
  path?: string;
  headers?: Record<string, string | undefined> | null;
  requestContext?: { path?: string; stage?: string; domainName?: string } | null;
}

/**
 * The URL of a job's record, as the client that POSTed can GET it: the same scheme and host, and
 * the same path prefix before `/runs`. That prefix is the stage on API Gateway's own domain
 * (`/prod/runs`: requestContext.path holds it) and on serverless-offline (which strips it from
 * both paths but serves the stage in the URL), a base path on a custom domain, or nothing.
 */
export function runLocation(event: RequestOrigin, jobId: string): string {
  const path = `${apiBase(event)}/runs/${jobId}`;
  const host = header(event, 'host');
  if (!host) return path;
  const proto = header(event, 'x-forwarded-proto') ?? (/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host) ? 'http' : 'https');
  return `${proto}://${host}${path}`;
}

function apiBase(event: RequestOrigin): string {
  const context = event.requestContext ?? {};
  const resourcePath = event.path ?? '/runs';
  if (context.path && context.path !== resourcePath && context.path.endsWith(resourcePath)) {
    return context.path.slice(0, -resourcePath.length);
  }
  const onStageDomain = !context.domainName || /\.execute-api\./.test(context.domainName) || context.domainName.startsWith('offlineContext');
  return onStageDomain && context.stage ? `/${context.stage}` : '';
}

function header(event: RequestOrigin, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === name && value) return value;
  return undefined;
}
