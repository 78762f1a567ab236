import { fileURLToPath } from 'node:url';
import { measure, buildRow, type Measurement, type Outcome } from './rows.ts';
import { median } from './stats.ts';
import { installedCli, type InstalledCli } from './startup/installed-cli.ts';
import { timeProcess } from './startup/process-tree.ts';
import type { Row, Section, SectionContext } from './types.ts';

/**
 * Start-up and scaling as users time them: whole processes of the CLI as installed (compiled, no
 * TypeScript loader), side by side with mpirun in the same run. Each command runs once unmeasured
 * first, as a user's second run finds the threads' bundle built.
 */
const HELLO_PY = fileURLToPath(new URL('./mpi4py/hello.py', import.meta.url));
const PI_SAMPLES = 200_000_000;
const MANY_RANKS = 64;
const HELP_BUDGET_S = 0.15;
const MANY_BUDGET_S = 2;
const MANY_BUDGET_MIB = 1024;

function cliEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // The bench runs under tsx: its loader must not reach the CLI's process.
  delete env.NODE_OPTIONS;
  if (process.getuid?.() === 0) {
    env.OMPI_ALLOW_RUN_AS_ROOT = '1';
    env.OMPI_ALLOW_RUN_AS_ROOT_CONFIRM = '1';
  }
  return env;
}

/**
 * Runs each variant in turn, `rounds` times (so that other load weighs on all alike), after one
 * unmeasured run of each. Figures: each variant's median seconds, and `bounds` (fixed figures
 * that rows compare with).
 */
function inTurns(
  id: string, label: string, rounds: number, variants: Record<string, () => Promise<number>>, bounds: Record<string, number> = {},
): Measurement<Record<string, number[]>> {
  return {
    id,
    label: `${label}, ${rounds} rounds in turns`,
    run: async () => {
      for (const run of Object.values(variants)) await run();
      const seconds: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
      for (let round = 0; round < rounds; round++) {
        for (const [name, run] of Object.entries(variants)) seconds[name]!.push(await run());
      }
      return seconds;
    },
    figures: (seconds) => ({ ...Object.fromEntries(Object.entries(seconds).map(([name, s]) => [name, median(s)])), ...bounds }),
    samples: (seconds) => ({ secondsPerRun: seconds }),
  };
}

async function startupRows(context: SectionContext, cli: InstalledCli): Promise<Row[]> {
  const env = cliEnv();
  const node = (args: string[]) => async () => (await timeProcess(process.execPath, [cli.bin, ...args], env)).seconds;
  const rounds = context.quick ? 2 : 7;
  const outcomes = new Map<string, Outcome>();

  outcomes.set('help', await measure(inTurns('help', 'lambda-mpi --help and node -e 0', rounds, {
    help: node(['--help']),
    bareNode: async () => (await timeProcess(process.execPath, ['-e', '0'], env)).seconds,
  }, { helpBudget: HELP_BUDGET_S }), context));

  const hello = { cli: node(['run', 'hello', '-n', '4']) } as Record<string, () => Promise<number>>;
  if (context.mpi4py.available) {
    const { mpirun, python } = context.mpi4py;
    hello.mpirun = async () => (await timeProcess(mpirun, ['--oversubscribe', '-np', '4', python, HELLO_PY], env)).seconds;
  }
  outcomes.set('hello', await measure(inTurns('hello', 'lambda-mpi run hello -n 4 and mpirun -np 4 python3 hello.py', rounds, hello), context));

  const piInput = JSON.stringify({ samples: PI_SAMPLES });
  outcomes.set('pi', await measure(inTurns('pi', `lambda-mpi run pi (${PI_SAMPLES.toExponential()} samples) -n 1 and -n 2`, context.quick ? 1 : 3, {
    np1: node(['run', 'pi', '-n', '1', '--input', piInput]),
    np2: node(['run', 'pi', '-n', '2', '--input', piInput]),
  }), context));

  outcomes.set('many', await measure(manyRanks(context, cli, env), context));

  const budget = (what: string) => ({ name: `bound for ${what.split(':')[0]}`, description: `the issue's bound for ${what}` });
  return [
    buildRow('startup', {
      id: 'startup.help', metric: 'lambda-mpi --help, whole process (median)', unit: 's', better: 'lower',
      lambdaMpi: ['help', 'help'], reference: { baseline: budget(`--help: ${HELP_BUDGET_S} s`), figure: ['help', 'helpBudget'] },
      target: { maxRatio: 1, label: `< ${HELP_BUDGET_S} s` },
    }, outcomes),
    buildRow('startup', {
      id: 'startup.node', metric: 'node -e 0, whole process (median): the floor under every row here', unit: 's', better: 'lower',
      lambdaMpi: ['help', 'bareNode'], reference: { baseline: budget(`--help: ${HELP_BUDGET_S} s`), figure: ['help', 'helpBudget'] },
    }, outcomes),
    buildRow('startup', {
      id: 'startup.hello.np4', metric: 'run hello -n 4 (threads) vs mpirun -np 4 python3 hello.py, whole process (median)', unit: 's', better: 'lower',
      lambdaMpi: ['hello', 'cli'], reference: { mpi4py: ['hello', 'mpirun'] }, target: { maxRatio: 1, label: '≤ 1x mpirun' },
    }, outcomes),
    buildRow('startup', {
      id: 'startup.pi.np2', metric: `run pi -n 2 vs -n 1, ${PI_SAMPLES.toExponential()} samples, whole process (median)`, unit: 's', better: 'lower',
      lambdaMpi: ['pi', 'np2'],
      reference: { baseline: { name: 'run pi -n 1', description: `the same ${PI_SAMPLES.toExponential()} samples on 1 rank, whole CLI process, in turns with -n 2 (ratio < 1: faster than 1 rank)` }, figure: ['pi', 'np1'] },
      target: { maxRatio: 1 / 1.8, label: '≥ 1.8x faster than 1 rank' },
    }, outcomes),
    buildRow('startup', {
      id: `startup.hello.np${MANY_RANKS}.seconds`, metric: `run hello -n ${MANY_RANKS} (threads), whole process (median)`, unit: 's', better: 'lower',
      lambdaMpi: ['many', 'seconds'], reference: { baseline: budget(`${MANY_RANKS} ranks: ${MANY_BUDGET_S} s, ${MANY_BUDGET_MIB} MiB`), figure: ['many', 'secondsBudget'] },
      target: { maxRatio: 1, label: `< ${MANY_BUDGET_S} s` },
    }, outcomes),
    buildRow('startup', {
      id: `startup.hello.np${MANY_RANKS}.rss`, metric: `run hello -n ${MANY_RANKS} (threads), peak RSS of the process tree`, unit: 'MiB', better: 'lower',
      lambdaMpi: ['many', 'rss'], reference: { baseline: budget(`${MANY_RANKS} ranks: ${MANY_BUDGET_S} s, ${MANY_BUDGET_MIB} MiB`), figure: ['many', 'rssBudget'] },
      target: { maxRatio: 1, label: `< ${MANY_BUDGET_MIB} MiB` },
    }, outcomes),
  ];
}

/** `run hello -n 64`: time and the peak resident set of the whole process tree. */
function manyRanks(context: SectionContext, cli: InstalledCli, env: NodeJS.ProcessEnv): Measurement<{ seconds: number[]; peakRssMiB: number[] }> {
  const runs = context.quick ? 1 : 3;
  return {
    id: 'many',
    label: `lambda-mpi run hello -n ${MANY_RANKS} (${runs} runs after one unmeasured)`,
    run: async () => {
      const args = [cli.bin, 'run', 'hello', '-n', String(MANY_RANKS)];
      await timeProcess(process.execPath, args, env);
      const seconds: number[] = [];
      const peakRssMiB: number[] = [];
      for (let run = 0; run < runs; run++) {
        const timed = await timeProcess(process.execPath, args, env, true);
        if (timed.stdout.trim().split('\n').length !== MANY_RANKS) throw new Error(`hello printed ${timed.stdout.trim().split('\n').length} lines on ${MANY_RANKS} ranks`);
        seconds.push(timed.seconds);
        peakRssMiB.push(timed.peakRssMiB);
      }
      return { seconds, peakRssMiB };
    },
    figures: ({ seconds, peakRssMiB }) => ({ seconds: median(seconds), rss: Math.max(...peakRssMiB), secondsBudget: MANY_BUDGET_S, rssBudget: MANY_BUDGET_MIB }),
    samples: ({ seconds, peakRssMiB }) => ({ secondsPerRun: seconds, peakRssMiBPerRun: peakRssMiB }),
  };
}

export const startupSection: Section = {
  name: 'startup',
  description: 'whole CLI processes as installed (compiled): --help, run hello -n 4 vs mpirun, pi -n 1 vs -n 2, hello -n 64 (time, peak RSS)',
  async run(context) {
    if (context.cases) return [];
    context.log('compiling the package as installed (tsconfig.build.json) into a temporary folder');
    const cli = await installedCli();
    try {
      return await startupRows(context, cli);
    } finally {
      await cli.remove();
    }
  },
};
