/**
 * npm run bench [-- --only <section>] [--cases <id,…>] [--quick] [--no-mpi4py] [--list]
 *
 * Runs every section (or one), prints the table on stdout and writes the JSON record to
 * bench/results/<timestamp>.json and bench/results/latest.json. Progress goes to stderr.
 *
 * To add a section: write a `Section` (bench/types.ts) whose run() measures and builds its rows
 * from row descriptions (bench/rows.ts), and append it to `sections` below.
 */
import { alltoallvFloorSection } from './alltoallv-floor-section.ts';
import { awsSection } from './aws-section.ts';
import { filesSection } from './files-section.ts';
import { benchCases } from './cases.ts';
import { memorySection } from './memory-section.ts';
import { threadsSection } from './threads-section.ts';
import { startupSection } from './startup-section.ts';
import { valkeySection } from './valkey-section.ts';
import { startLoadMeter } from './machine-load.ts';
import { detectMpi4py } from './mpi4py-bench.ts';
import { RATIO_CONVENTION, environment, formatTable, withVerdicts, writeRecord, type SectionOutcome } from './report.ts';
import type { Mpi4pyAvailability, Row, Section } from './types.ts';

/** Every section, in the order they run. */
const sections: Section[] = [
  memorySection,
  threadsSection,
  alltoallvFloorSection,
  awsSection,
  startupSection,
  valkeySection,
  filesSection,
];

interface Options {
  only?: string;
  cases?: ReadonlySet<string>;
  quick: boolean;
  mpi4py: boolean;
  list: boolean;
}

const USAGE = 'usage: npm run bench -- [--only <section>] [--cases <case id>,…] [--quick] [--no-mpi4py] [--list]';

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, mpi4py: true, list: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    switch (flag) {
      case '--only': {
        const name = inline ?? argv[++i];
        if (!name) fail('--only needs a section name');
        if (!sections.some((s) => s.name === name)) {
          fail(`--only: no section named "${name}"; sections are ${sections.map((s) => s.name).join(', ')}`);
        }
        options.only = name;
        break;
      }
      case '--cases': {
        const ids = (inline ?? argv[++i] ?? '').split(',').filter(Boolean);
        const known = new Set(benchCases(false).map((c) => c.id));
        const unknown = ids.filter((id) => !known.has(id));
        if (ids.length === 0 || unknown.length > 0) fail(`--cases takes case ids among ${[...known].join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
        options.cases = new Set(ids);
        break;
      }
      case '--quick':
        options.quick = true;
        break;
      case '--no-mpi4py':
        options.mpi4py = false;
        break;
      case '--list':
        options.list = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
      default:
        fail(`unknown argument "${argv[i]}"`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.list) {
    for (const section of sections) process.stdout.write(`${section.name}\t${section.description}\n`);
    return;
  }
  const started = new Date();
  const environmentAtStart = environment();
  const othersBusyDuringRun = startLoadMeter();
  const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - started.getTime()) / 1e3).toFixed(1)}s] ${line}\n`);
  const mpi4py: Mpi4pyAvailability = options.mpi4py ? detectMpi4py() : { available: false, reason: 'skipped (--no-mpi4py)' };
  if (!mpi4py.available) log(`mpi4py unavailable: ${mpi4py.reason}; measuring lambda-mpi only`);

  const rows: Row[] = [];
  const outcomes: SectionOutcome[] = [];
  for (const section of sections.filter((s) => !options.only || s.name === options.only)) {
    log(`section ${section.name}: ${section.description}`);
    const sectionStarted = performance.now();
    try {
      rows.push(...(await section.run({ quick: options.quick, ...(options.cases ? { cases: options.cases } : {}), mpi4py, log })));
      outcomes.push({ name: section.name, description: section.description, seconds: (performance.now() - sectionStarted) / 1e3 });
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`section ${section.name} failed: ${message}`);
      outcomes.push({ name: section.name, description: section.description, seconds: (performance.now() - sectionStarted) / 1e3, error: message });
    }
  }

  const reported = withVerdicts(rows);
  process.stdout.write(`${formatTable(reported, mpi4py)}\n`);
  const finished = new Date();
  const path = writeRecord({
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: (finished.getTime() - started.getTime()) / 1e3,
    argv: process.argv.slice(2),
    quick: options.quick,
    convention: RATIO_CONVENTION,
    environment: {
      ...environmentAtStart,
      loadAverage1mAtEnd: environment().loadAverage1m,
      othersCpuBusyDuringRun: othersBusyDuringRun(),
    },
    mpi4py,
    sections: outcomes,
    rows: reported,
  });
  log(`wrote ${path} and bench/results/latest.json`);
  const failed = outcomes.filter((o) => o.error);
  if (failed.length > 0) {
    process.stderr.write(`bench: section(s) failed: ${failed.map((o) => o.name).join(', ')}\n`);
    process.exitCode = 1;
  }
}

await main();
