import { parseFileUrl } from '../file/file-url.ts';
import type { ModeledFileSource } from '../model/modeled-file-store.ts';
import type { FileRequestFigures } from '../model/model-run.ts';
import { UsageError } from './command.ts';
import { grouped } from '../report/grouped.ts';

const UNITS: Record<string, number> = {
  '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4,
};

/**
 * `model --file URL=SIZE` (generated text of that size, e.g. 100GiB) or `--file URL=@PATH` (a
 * local file's bytes, read once): the objects a modeled program's files find in place.
 */
export function modelFiles(flags: readonly string[] | undefined): Record<string, ModeledFileSource> | undefined {
  if (!flags || flags.length === 0) return undefined;
  const files: Record<string, ModeledFileSource> = {};
  for (const flag of flags) {
    const at = flag.lastIndexOf('=');
    const url = flag.slice(0, Math.max(at, 0));
    const what = flag.slice(at + 1);
    if (at <= 0 || what.length === 0) throw new UsageError(`--file takes URL=SIZE (generated text, e.g. s3://bucket/book.txt=100GiB) or URL=@PATH (a local file's bytes); received ${JSON.stringify(flag)}`);
    try {
      parseFileUrl(url);
    } catch (error) {
      throw new UsageError(`--file ${JSON.stringify(flag)}: ${error instanceof Error ? error.message : String(error)}`);
    }
    files[url] = what.startsWith('@') ? { path: what.slice(1) } : { size: byteSize(flag, what) };
  }
  return files;
}

function byteSize(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
  const unit = match ? UNITS[match[2]!.toUpperCase()] : undefined;
  const bytes = match && unit !== undefined ? Math.round(Number(match[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`--file ${JSON.stringify(flag)}: the size must be a number of bytes, optionally with a unit (KB, MB, GB, TB, KiB, MiB, GiB, TiB); received ${JSON.stringify(text)}`);
  }
  return bytes;
}

/** The report's line of the job's file requests, or none. */
export function fileRequestsLine(files: FileRequestFigures | undefined): string[] {
  if (!files) return [];
  const operations = Object.entries(files.byOperation).map(([operation, requests]) => `${operation} ${grouped(requests)}`).join(' · ');
  return [`  files        ${operations} (in the S3 counts) · read ${mebibytes(files.bytesRead)} · wrote ${mebibytes(files.bytesWritten)}`];
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
