import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Debian's package (`apt-get install chromium`); CHROMIUM names another binary. */
export const CHROMIUM = process.env.CHROMIUM ?? 'chromium';

/** Why headless Chromium cannot run here, or undefined when it can. */
export function missingChromium(): string | undefined {
  const probe = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  if (probe.error || probe.status !== 0) {
    return `${CHROMIUM} is not runnable (Debian package chromium: apt-get install -y chromium): ${probe.error?.message ?? probe.stderr.trim()}`;
  }
  return undefined;
}

/**
 * Chromium as a person's browser with nothing of its own to do: no profile (a new one each
 * time, removed after), no sync, updates or background fetches, no GPU, no sandbox (root in a
 * container). The page is opened from its file.
 */
async function chromium(args: string[], file: string): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'lambda-mpi-chromium-'));
  try {
    const { stdout } = await exec(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--user-data-dir=${profile}`, '--window-size=1400,1000', ...args, pathToFileURL(file).href,
    ], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** A PNG of the page's first 1400×1000 pixels, as a person sees it on opening the file. */
export async function screenshot(file: string, png: string): Promise<void> {
  await chromium([`--screenshot=${png}`], file);
}

/** The page's DOM once Chromium laid it out. */
export async function renderedDom(file: string): Promise<string> {
  return chromium(['--dump-dom'], file);
}

/**
 * What in a page could make a browser request anything: an external script, stylesheet, image,
 * frame or font, or a url() in its CSS; a page without scripts requests only what its markup
 * names, so an empty list means it stays offline.
 */
export function networkReferences(html: string): string[] {
  const found: string[] = [];
  for (const match of html.matchAll(/<(script|link|img|iframe|object|embed|audio|video|source)\b[^>]*>/gi)) found.push(match[0]);
  for (const match of html.matchAll(/\b(?:src|href|srcset|xlink:href|action|poster)\s*=\s*["']?[^"'\s>]*/gi)) found.push(match[0]);
  for (const match of html.matchAll(/url\(|@import/gi)) found.push(match[0]);
  return found;
}
