/**
 * Regenerates the README's pictures of the report pages (docs/report-job.png, docs/report-sweep.png):
 * runs the CLI as a user does, opens its pages in headless Chromium (as test/report does) and
 * keeps the screenshots.  npx tsx tools/report-pages/screenshots.ts
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { missingChromium, screenshot } from './headless-chromium.ts';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const cli = join(root, 'bin/lambda-mpi.mjs');

const PICTURES: Array<{ png: string; args: string[] }> = [
  { png: 'docs/report-job.png', args: ['run', 'pi', '-n', '16', '--input', '{"samples":20000000}'] },
  { png: 'docs/report-sweep.png', args: ['model', 'pi', '--sizes', '16,64,256,1000'] },
];

const missing = missingChromium();
if (missing) {
  console.error(missing);
  process.exit(1);
}
const tmp = await mkdtemp(join(tmpdir(), 'lambda-mpi-screenshots-'));
try {
  for (const { png, args } of PICTURES) {
    const html = join(tmp, 'page.html');
    await exec(process.execPath, [cli, ...args, '--report', html], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    await screenshot(html, join(root, png));
    console.log(`${png}: ${Math.round((await stat(join(root, png))).size / 1024)} KiB, from lambda-mpi ${args.join(' ')} --report (${Math.round((await stat(html)).size / 1024)} KiB page)`);
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
