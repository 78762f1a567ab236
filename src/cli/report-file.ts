import { writeFile } from 'node:fs/promises';
import type { CliIo } from './command.ts';
import { UsageError } from './command.ts';

/** `--report FILE.html`: checked before anything runs, so a typo costs no job. */
export function checkReportFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  if (file === '' || !/\.html?$/i.test(file)) throw new UsageError(`--report needs an HTML file name ending in .html: --report job.html; received ${JSON.stringify(file)}`);
  return file;
}

export async function writeReportFile(file: string, html: string, io: CliIo): Promise<void> {
  await writeFile(file, html);
  io.stderr.write(`lambda-mpi: wrote the report to ${file} (${Math.ceil(Buffer.byteLength(html) / 1024)} KiB; open it in any browser)\n`);
}
