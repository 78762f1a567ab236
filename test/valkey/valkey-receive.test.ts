import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defineProgram, runLocal } from '../../src/index.ts';
import { localValkeyServer } from './local-valkey.ts';

const valkey = localValkeyServer();

interface Ask {
  /** The server's own command-line client (redis-cli or valkey-cli, beside the server). */
  cli: string;
  url: string;
}

/**
 * Rank 0 takes a message, then blocks its thread (as a program's step of computing does) while a
 * process of its own asks the server for its clients: the rank's pop connection must be blocked
 * in a pop then, so what comes meanwhile is taken without another round trip once it yields.
 */
const computesAfterADelivery = defineProgram(async (comm, ask: Ask) => {
  if (comm.rank === 1) {
    await comm.send('first', 0);
    return comm.recv(0);
  }
  await comm.recv(1);
  const clients = execFileSync(ask.cli, ['-u', ask.url, 'CLIENT', 'LIST'], { encoding: 'utf8' });
  await comm.send('done', 1);
  return clients.split('\n').find((line) => line.includes(` name=lambda-mpi-${comm.jobId}-0 `)) ?? `no pop connection of rank 0 among: ${clients}`;
});

describe('the Valkey transport\'s receive loop', () => {
  it('has a pop waiting on the server while the rank computes after a delivery', async () => {
    const cli = valkey.server().command.replace(/-server$/, '-cli');
    expect(existsSync(cli), `${cli} (the server's own client) is not installed`).toBe(true);
    const run = await runLocal(computesAfterADelivery, { size: 2, input: { cli, url: valkey.url() }, transport: 'valkey', valkey: { url: valkey.url() }, timeoutMs: 30_000 });
    const rankZeroPop = run.results[0] as string;
    expect(rankZeroPop).toMatch(/ cmd=blmpop /);
    // b: the client waits in a blocking command (the pop is on the server, not yet answered).
    expect(rankZeroPop).toMatch(/ flags=b /);
  });
});
