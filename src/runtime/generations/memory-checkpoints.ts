import type { CheckpointManifest, CheckpointObjects } from '../../transport/transport.ts';

/** A job's checkpoints in this process's memory: ranks that share one thread (runLocal inline). */
export class MemoryCheckpoints implements CheckpointObjects {
  readonly #parts = new Map<string, Uint8Array>();
  readonly #manifests = new Map<number, CheckpointManifest>();

  async write(checkpoint: number, rank: number, bytes: Uint8Array): Promise<string> {
    this.#parts.set(`${checkpoint}/${rank}`, bytes);
    return `${bytes.byteLength}`;
  }

  async read(checkpoint: number, rank: number): Promise<Uint8Array> {
    const bytes = this.#parts.get(`${checkpoint}/${rank}`);
    if (!bytes) throw new Error(`no part of rank ${rank} in checkpoint ${checkpoint}`);
    return bytes;
  }

  async complete(manifest: CheckpointManifest): Promise<void> {
    this.#manifests.set(manifest.checkpoint, { ...manifest });
  }

  async latest(): Promise<CheckpointManifest | undefined> {
    const newest = Math.max(0, ...this.#manifests.keys());
    return this.#manifests.get(newest);
  }
}
