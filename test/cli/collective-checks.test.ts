import { describe, expect, it } from 'vitest';
import { lambdaMpi } from './run-cli.ts';

describe('the CLI on collectives and messages that do not pair up', () => {
  it('warns on stderr of messages never received, counted by receiver, sender and tag, and still exits 0: inline and in threads', async () => {
    const runs = await Promise.all([
      lambdaMpi('run', 'test/fixtures/unreceived-messages.ts', '-n', '3', '--inline'),
      lambdaMpi('run', 'test/fixtures/unreceived-messages.ts', '-n', '3'),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('lambda-mpi: warning: 2 messages were never received (rank 1 from rank 0, tag 5: 2)');
    }
  });

  it('fails a job whose ranks call different collectives, naming both calls, exit code 1', async () => {
    const r = await lambdaMpi('run', 'test/fixtures/mismatched-collectives.ts', '-n', '3');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CollectiveMismatchError: rank \d (in reduce\(root 0\) received rank 0's bcast\(root 0\)|in bcast\(root 0\) received rank \d's reduce\(root 0\)|ended without receiving rank \d's (bcast|reduce)\(root 0\)) message: every rank must call the same collectives in the same order/);
  });
});
