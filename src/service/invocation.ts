/**
 * What a function knows of its own invocation: when its handler began, whether its execution
 * environment is new (a cold start: Lambda ran its init phase first, which it bills), and that
 * init's length, from the process's start to the first handler call.
 */
export interface InvocationInfo {
  handlerAt: number;
  coldStart: boolean;
  initMs?: number;
}

let invocations = 0;

/** Called first thing in a handler. */
export function beginInvocation(): InvocationInfo {
  const handlerAt = Date.now();
  const coldStart = invocations++ === 0;
  return { handlerAt, coldStart, ...(coldStart ? { initMs: Math.max(0, Math.round(handlerAt - performance.timeOrigin)) } : {}) };
}
