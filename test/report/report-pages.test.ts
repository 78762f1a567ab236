import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingChromium, networkReferences, renderedDom, screenshot } from '../../tools/report-pages/headless-chromium.ts';
import { lambdaMpi, type CliOutcome } from '../cli/run-cli.ts';

/**
 * The report pages as a person looks at them: written by the CLI (`run --report`, `model
 * --report`, `model --sizes --report`), opened from their files in headless Chromium, its
 * screenshot taken and its laid-out page read: a lane (or band) for every rank, the totals of
 * the JSON, and nothing that could reach the network. The pages are made once for the file.
 */
const missing = missingChromium();
/** CI installs Chromium (.ci/run): there a missing browser fails the run instead of skipping the pages. */
const required = ['true', '1'].includes(process.env.CI ?? '');
if (missing && !required) console.warn(`Skipping the report pages' browser test (with CI=true it would fail): ${missing}`);

describe('report pages: prerequisites', () => {
  it.runIf(required)('in CI, Chromium is installed, so the pages are looked at', () => {
    expect(missing, 'install it as .ci/run does').toBeUndefined();
  });
});

interface Page {
  file: string;
  html: string;
  dom: string;
  png: Buffer;
  cli: CliOutcome;
}

let tmp: string;
const pages: Record<string, Page> = {};

async function page(name: string, ...args: string[]): Promise<void> {
  const file = join(tmp, `${name}.html`);
  const cli = await lambdaMpi(...args, '--report', file);
  const html = await readFile(file, 'utf8').catch(() => '');
  const png = join(tmp, `${name}.png`);
  if (html) await screenshot(file, png);
  pages[name] = { file, html, dom: html ? await renderedDom(file) : '', png: html ? await readFile(png) : Buffer.alloc(0), cli };
}

describe.skipIf(missing !== undefined)(`report pages in headless Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'lambda-mpi-report-'));
    await page('model-16', 'model', 'pi', '-n', '16', '--json');
    await page('model-1000', 'model', 'pi', '-n', '1000', '--json');
    await page('sweep', 'model', 'vector-allreduce', '--sizes', '64,4,16', '--input', '{"length":20000}', '--json');
    await page('run-16', 'run', 'pi', '-n', '16', '--inline');
    await page('threads', 'run', 'pi', '-n', '4', '--threads');
    await page('failed', 'run', 'test/fixtures/failing-rank.ts', '-n', '4', '--inline');
    await page('model-timeout', 'model', 'test/fixtures/stuck-rank.ts', '-n', '2', '--timeout', '600');
  }, 300_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('every page is one file that requests nothing: no script, stylesheet, image, font or frame, no href, src or url()', () => {
    for (const [name, { html, dom, cli }] of Object.entries(pages)) {
      expect(html, `${name}: ${cli.stderr}`).toMatch(/^<!doctype html>/);
      expect(networkReferences(html), name).toEqual([]);
      // The page has no script, so the browser's DOM is its markup: nothing was added after load.
      expect(networkReferences(dom), name).toEqual([]);
      if (!['failed', 'model-timeout'].includes(name)) expect(dom, name).toMatch(/<svg class="timeline"|<svg class="chart"/);
    }
  });

  it('Chromium draws each page in its window: a 1400×1000 PNG', () => {
    for (const [name, { png }] of Object.entries(pages)) {
      expect(png.subarray(1, 4).toString(), name).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)], name).toEqual([1400, 1000]);
    }
  });

  it("a modeled job of 16 ranks: a lane per rank, and the summary's total and cost are the JSON's", () => {
    const { dom, cli } = pages['model-16']!;
    const json = JSON.parse(cli.stdout);
    expect(laneRanks(dom)).toEqual(range(0, 16));
    expect(field(dom, 'ranks')).toBe('16');
    expect(Number(dataValue(dom, 'total-seconds'))).toBe(json.totalSeconds);
    expect(Number(dataValue(dom, 'cost-usd'))).toBe(json.costUsd);
    expect(Number(dataValue(dom, 'startup-seconds'))).toBe(json.startupSeconds);
    expect(field(dom, 'status')).toBe('succeeded');
    // Each rank's wait in the reduce, with its root, is on its lane.
    for (const rank of range(1, 16)) expect(dom).toMatch(new RegExp(`<title>rank ${rank}: reduce root 0 \\(wait\\)`));
  });

  it('a modeled job of 1,000 ranks stays readable: the slowest ranks apart, then bands that cover every rank once', () => {
    const { dom, html, cli } = pages['model-1000']!;
    const json = JSON.parse(cli.stdout);
    expect(Number(dataValue(dom, 'total-seconds'))).toBe(json.totalSeconds);
    const apart = laneRanks(dom);
    const slowest = [...section(dom, 'Slowest ranks').matchAll(/<td>rank (\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(apart).toEqual(slowest.slice(0, apart.length));
    expect(apart.length).toBeGreaterThan(0);
    const bands = [...dom.matchAll(/<g class="band" data-first-rank="(\d+)" data-last-rank="(\d+)">/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    expect(bands.length).toBeLessThan(100);
    let next = 0;
    for (const [first, last] of bands) {
      expect(first).toBe(next);
      next = last + 1;
    }
    expect(next).toBe(1000);
    figures.model1000Bytes = Buffer.byteLength(html);
  });

  it('a sweep: a row per size in the order given, totals and costs the JSON\'s, the cheapest and the fastest marked, time and cost charted at every size', () => {
    const { dom, cli } = pages.sweep!;
    const sizes = JSON.parse(cli.stdout) as Array<{ size: number; totalSeconds: number; costUsd: number }>;
    const rows = [...dom.matchAll(/<tr data-size="(\d+)">(.*?)<\/tr>/gs)].map((m) => ({ size: Number(m[1]), cells: m[2]! }));
    expect(rows.map((row) => row.size)).toEqual([64, 4, 16]);
    for (const row of rows) {
      const json = sizes.find((s) => s.size === row.size)!;
      expect(Number(dataValue(row.cells, 'total-seconds'))).toBe(json.totalSeconds);
      expect(Number(dataValue(row.cells, 'cost-usd'))).toBe(json.costUsd);
    }
    const cheapest = sizes.reduce((a, b) => (b.costUsd < a.costUsd ? b : a)).size;
    const fastest = sizes.reduce((a, b) => (b.totalSeconds < a.totalSeconds ? b : a)).size;
    expect(rows.filter((row) => row.cells.includes('mark-cheapest')).map((row) => row.size)).toEqual([cheapest]);
    expect(rows.filter((row) => row.cells.includes('mark-fastest')).map((row) => row.size)).toEqual([fastest]);
    const charts = [...dom.matchAll(/<svg class="chart".*?<\/svg>/gs)].map((m) => m[0]);
    expect(charts).toHaveLength(2);
    // Time: total, run and start-up at each size; cost at each size.
    expect(charts.map((chart) => (chart.match(/<circle /g) ?? []).length)).toEqual([9, 3]);
    expect(charts[0]).toMatch(/\(log scale\)/);
  });

  it("a job run in this process: a lane per rank, and rank 0's output's first line", () => {
    const { dom, html, cli } = pages['run-16']!;
    expect(cli.code, cli.stderr).toBe(0);
    expect(laneRanks(dom)).toEqual(range(0, 16));
    expect(field(dom, 'status')).toBe('succeeded');
    expect(section(dom, 'Output')).toMatch(/<td>rank 0<\/td><td>1<\/td><td><pre>pi is approximately 3\.\d+/);
    figures.run16Bytes = Buffer.byteLength(html);
  });

  it('a job whose ranks ran in worker threads: a lane per rank, each with its wait in the reduce', () => {
    const { dom, cli } = pages.threads!;
    expect(cli.code, cli.stderr).toBe(0);
    expect(laneRanks(dom)).toEqual(range(0, 4));
    for (const rank of range(1, 4)) expect(dom).toMatch(new RegExp(`<title>rank ${rank}: reduce root 0 \\(wait\\)`));
  });

  it('a modeled job that times out: its page says so and names the rank still waiting, with the modeled time until then', () => {
    const { dom, cli } = pages['model-timeout']!;
    expect(cli.code).toBe(1);
    expect(field(dom, 'status')).toBe('failed');
    expect(dom).toMatch(/timed out after 600000 ms; ranks still running: rank 1 waits in recv, source 0, tag 5/);
    expect(Number(dataValue(dom, 'total-seconds'))).toBeGreaterThan(0);
  });

  it('a job that failed: its page says so, names the rank and its error, and keeps what the ranks printed', () => {
    const { dom, cli } = pages.failed!;
    expect(cli.code).toBe(1);
    expect(field(dom, 'status')).toBe('failed');
    expect(dom).toMatch(/rank 2 failed[^<]*bad rank/);
    expect(section(dom, 'Timeline')).toMatch(/A job that does not finish has no timeline/);
    for (const rank of range(0, 4)) expect(section(dom, 'Output')).toContain(`<td>rank ${rank}</td><td>1</td><td><pre>rank ${rank}</pre>`);
  });
});

const figures: Record<string, number> = {};
afterAll(() => {
  if (Object.keys(figures).length) console.log(`report page sizes (bytes): ${JSON.stringify(figures)}`);
});

function laneRanks(dom: string): number[] {
  return [...dom.matchAll(/<g class="lane" data-rank="(\d+)">/g)].map((m) => Number(m[1]));
}

function field(dom: string, name: string): string | undefined {
  return new RegExp(`data-field="${name}"[^>]*>([^<]*)<`).exec(dom)?.[1];
}

function dataValue(dom: string, name: string): string | undefined {
  return new RegExp(`data-field="${name}" data-value="([^"]*)"`).exec(dom)?.[1];
}

/** The page from the heading `title` to the next heading. */
function section(dom: string, title: string): string {
  const start = dom.indexOf(`<h2>${title}</h2>`);
  const end = dom.indexOf('<h2>', start + 1);
  return start < 0 ? '' : dom.slice(start, end < 0 ? undefined : end);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
