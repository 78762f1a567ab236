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

/** When this module was evaluated: during the init phase, as the handler's modules load. */
const moduleEvaluatedAt = Date.now();
let invocations = 0;

/**
 * Called first thing in a handler. `processIsEnvironment`: this process is the function's
 * execution environment (on Lambda; `processStartsWithInit()` says so), so its start is where
 * the init phase began. In an emulator that serves every function from one long-lived process,
 * only the loading of the handler's modules is this function's init, and that is what is measured.
 */
export function beginInvocation(processIsEnvironment: boolean): InvocationInfo {
  const handlerAt = Date.now();
  const coldStart = invocations++ === 0;
  if (!coldStart) return { handlerAt, coldStart };
  const initStart = processIsEnvironment ? performance.timeOrigin : moduleEvaluatedAt;
  return { handlerAt, coldStart, initMs: Math.max(0, Math.round(handlerAt - initStart)) };
}
