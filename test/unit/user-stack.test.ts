import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RankFailedError } from '../../src/index.ts';
import { userStack } from '../../src/runtime/user-stack.ts';
import { failureInfo } from '../../src/service/failure-info.ts';

/** What API clients see of a failed rank's stack: the user's program's frames, never lambda-mpi's. */
const own = fileURLToPath(new URL('../../src/runtime/rank-session.ts', import.meta.url));
const stack = [
  'TypeError: cannot read x of undefined',
  '    at main (/home/me/project/my-program.ts:7:11)',
  `    at RankSession.run (file://${own}:112:40)`,
  '    at new Promise (<anonymous>)',
  '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
  '    at async helper (/home/me/project/lib/util.ts:3:2)',
  '    at async MessagePort.<anonymous> (file:///srv/app/node_modules/serverless-offline/src/lambda/handler-runner/worker-thread-runner/workerThreadHelper.js:24:14)',
  '    at async Runtime.handleOnceNonStreaming (file:///var/runtime/index.mjs:1173:29)',
].join('\n');

describe('a failed rank\'s stack for API clients', () => {
  it('keeps the message line and the user\'s frames only', () => {
    expect(userStack(stack)).toBe([
      'TypeError: cannot read x of undefined',
      '    at main (/home/me/project/my-program.ts:7:11)',
      '    at async helper (/home/me/project/lib/util.ts:3:2)',
    ].join('\n'));
  });

  it('says nothing when no frame is the user\'s (a bundled program, or lambda-mpi\'s own error)', () => {
    expect(userStack(`Error: x\n    at RankSession.run (${own}:1:1)\n    at node:internal/x:1:1`)).toBeUndefined();
  });

  it('the record of a failed rank has its rank, type, message and the user\'s stack; another error has no stack', () => {
    const info = failureInfo(new RankFailedError('j', 2, { name: 'TypeError', message: 'cannot read x of undefined', stack }));
    expect(info).toEqual({
      name: 'RankFailedError', code: 'RANK_FAILED', rank: 2, message: 'rank 2 failed: TypeError: cannot read x of undefined',
      stack: 'TypeError: cannot read x of undefined\n    at main (/home/me/project/my-program.ts:7:11)\n    at async helper (/home/me/project/lib/util.ts:3:2)',
    });
    expect(failureInfo(new Error('internal trouble'))).toEqual({ name: 'Error', message: 'internal trouble' });
  });
});
