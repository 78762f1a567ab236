/**
 * What a function knows of its own invocation: when its handler began, whether its execution
 * environment is new (a cold start: Lambda ran its init phase first, which it bills), and that
 * init's length: from the process's start to the first handler call.
 */
export interface InvocationInfo {
  handlerAt: number;
  coldStart: boolean;
  initMs?: number;
}

/** Lambda ends an init phase that takes longer than this (on-demand functions). */
const MAX_LAMBDA_INIT_MS = 10_000;

/** When this module was evaluated: during the init phase, after the runtime's own start. */
const moduleEvaluatedAt = Date.now();
let invocations = 0;

/** Called first thing in a handler. */
export function beginInvocation(): InvocationInfo {
  const handlerAt = Date.now();
  const coldStart = invocations++ === 0;
  if (!coldStart) return { handlerAt, coldStart };
  // On Lambda the process starts with the init phase. An emulator's process may have started long
  // before this function was first loaded (it serves every function): then only the loading of
  // the handler's modules is this function's init, and that is what is measured.
  const sinceProcessStart = handlerAt - performance.timeOrigin;
  const initMs = sinceProcessStart <= MAX_LAMBDA_INIT_MS ? sinceProcessStart : handlerAt - moduleEvaluatedAt;
  return { handlerAt, coldStart, initMs: Math.max(0, Math.round(initMs)) };
}
