import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MetaStore } from '../../../core/context/index.js';

/** A tree spec: string = file content, null = directory, { link } = symlink. */
export type Tree = Record<string, string | null | { link: string }>;

export async function makeTree(tree: Tree, root?: string): Promise<string> {
  const dir = root ?? (await mkdtemp(path.join(tmpdir(), 'strata-ctx-')));
  for (const [rel, v] of Object.entries(tree)) {
    const abs = path.join(dir, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    if (v === null) await mkdir(abs, { recursive: true });
    else if (typeof v === 'string') await writeFile(abs, v);
    else await symlink(v.link, abs);
  }
  return dir;
}

/** An in-memory MetaStore that counts writes. */
export class MemoryMeta implements MetaStore {
  readonly data = new Map<string, string>();
  writes = 0;
  async readMeta(name: string): Promise<Uint8Array | undefined> {
    const v = this.data.get(name);
    return v === undefined ? undefined : Buffer.from(v);
  }
  async writeMeta(name: string, data: string): Promise<void> {
    this.writes++;
    this.data.set(name, data);
  }
}
