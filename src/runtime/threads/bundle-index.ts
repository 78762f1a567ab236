import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The bundles' index, kept beside them in the temporary folder: for each (thread entry, program,
 * lambda-mpi, Node) the folder its bundle was last written to and the files it was built from,
 * each with its size and modification time. A later process whose files did not change finds its
 * bundle here without starting the bundler, which costs more than starting the ranks.
 */
export interface IndexedBundle {
  outdir: string;
  /** Every input file of the bundle (node_modules included: a reinstall changes them) and its stamp. */
  stamps: Map<string, string>;
}

interface IndexRecord {
  outdir: string;
  stamps: [string, string][];
}

/** A file's size and modification time, or "missing". */
export function stampOf(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/** True while every file still has the stamp it had when the bundle was built. */
export function unchanged(stamps: Map<string, string>): boolean {
  for (const [path, stamp] of stamps) if (stampOf(path) !== stamp) return false;
  return true;
}

function indexFile(root: string, key: string): string {
  return join(root, 'index', `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`);
}

/** The bundle indexed under `key`, when its folder is still there and none of its files changed. */
export function findIndexedBundle(root: string, key: string, entryFile: string): IndexedBundle | undefined {
  let record: IndexRecord;
  try {
    record = JSON.parse(readFileSync(indexFile(root, key), 'utf8')) as IndexRecord;
  } catch {
    return undefined;
  }
  const stamps = new Map(record.stamps);
  if (!existsSync(join(record.outdir, entryFile)) || !unchanged(stamps)) return undefined;
  // In use: the removal of bundles unused for a day spares it.
  const now = new Date();
  try {
    utimesSync(record.outdir, now, now);
  } catch {
    return undefined;
  }
  return { outdir: record.outdir, stamps };
}

/**
 * Indexes the bundle just written to `outdir` (written aside and renamed: a reader finds it
 * whole). The index only saves later processes a build: a failure to write it fails no job.
 */
export function indexBundle(root: string, key: string, bundle: IndexedBundle): void {
  const file = indexFile(root, key);
  const staging = `${file}.${process.pid}.${Date.now()}`;
  const record: IndexRecord = { outdir: bundle.outdir, stamps: [...bundle.stamps] };
  try {
    mkdirSync(join(root, 'index'), { recursive: true });
    writeFileSync(staging, JSON.stringify(record));
    renameSync(staging, file);
  } catch {
    rmSync(staging, { force: true });
  }
}
