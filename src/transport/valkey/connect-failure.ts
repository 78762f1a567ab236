/**
 * Why opening a connection to a Valkey URL failed, in words that say what to fix. ioredis rejects
 * every failed opening alike ("Connection is closed."); the reason is in the error its socket
 * emitted before (`socketError`), or in the rejection itself (a timeout, the server's refusal).
 */
export function connectFailure(url: URL, rejection: Error, socketError: Error | undefined, timeoutMs: number): string {
  const hostPort = `${url.hostname}:${url.port || '6379'}`;
  const code = (socketError as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED') return `nothing listens at ${hostPort} (connection refused): start the server, or check the URL's host and port`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host ${url.hostname} does not resolve (${code}): check the URL's host name`;
  const unknownReply = /Unknown RESP type \d+ "(.)"|Protocol error, got "(.)"/.exec(socketError?.message ?? '');
  if (unknownReply) {
    return `what answers at ${hostPort} does not speak the Redis protocol (its reply began with "${unknownReply[1] ?? unknownReply[2]}"${unknownReply[1] === 'H' || unknownReply[2] === 'H' ? ': an HTTP server?' : ''}): check the URL's port`;
  }
  const refused = [socketError?.message, rejection.message].find((message) => /^(NOAUTH|WRONGPASS|NOPERM)\b/.test(message ?? ''));
  if (refused) return `the server refused this client: ${refused} (a password goes in the URL: redis://:password@host:port, or redis://user:password@host:port)`;
  if (rejection.message === noAnswerWithin(timeoutMs)) {
    return `${rejection.message}: a host that drops the packets (a firewall or security group), or a URL whose TLS does not match the server's (rediss:// to a server without TLS, or redis:// to one that requires it)`;
  }
  if (code === 'EPIPE' || code === 'ECONNRESET' || (!socketError && rejection.message === 'Connection is closed.')) {
    return `the server at ${hostPort} closed the connection before it answered: is it a Valkey or Redis server, and does it want TLS (rediss://)?`;
  }
  return socketError?.message ?? rejection.message;
}

/** The rejection of an opening that got no answer in time. */
export function noAnswerWithin(timeoutMs: number): string {
  return `no answer within ${timeoutMs} ms`;
}
