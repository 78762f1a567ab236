import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointManifest, CheckpointObjects } from '../../transport/transport.ts';

const MANIFEST = /^manifest-(\d+)\.json$/;

/**
 * A job's checkpoints in a folder of this machine: ranks in worker threads, which share no
 * memory the way ranks in one thread do. A part is written under a temporary name and renamed,
 * so a rank that dies mid-write leaves no half part under the real one.
 */
export class FolderCheckpoints implements CheckpointObjects {
  constructor(readonly folder: string) {}

  async write(checkpoint: number, rank: number, bytes: Uint8Array): Promise<string> {
    const folder = join(this.folder, String(checkpoint));
    await mkdir(folder, { recursive: true });
    const path = join(folder, `rank-${rank}`);
    await writeFile(`${path}.partial`, bytes);
    await rename(`${path}.partial`, path);
    return `${bytes.byteLength}`;
  }

  async read(checkpoint: number, rank: number): Promise<Uint8Array> {
    const bytes = await readFile(join(this.folder, String(checkpoint), `rank-${rank}`));
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async complete(manifest: CheckpointManifest): Promise<void> {
    await mkdir(this.folder, { recursive: true });
    const path = join(this.folder, `manifest-${manifest.checkpoint}.json`);
    await writeFile(`${path}.partial`, JSON.stringify(manifest));
    await rename(`${path}.partial`, path);
  }

  async latest(): Promise<CheckpointManifest | undefined> {
    let names: string[];
    try {
      names = await readdir(this.folder);
    } catch {
      return undefined;
    }
    const newest = Math.max(0, ...names.map((name) => Number(MANIFEST.exec(name)?.[1] ?? 0)));
    if (newest === 0) return undefined;
    return JSON.parse(await readFile(join(this.folder, `manifest-${newest}.json`), 'utf8')) as CheckpointManifest;
  }
}
