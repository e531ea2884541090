/**
 * The store a command works on: `--root DIR` (relative to the command's cwd), else
 * STRATA_ROOT, else the XDG default (Store.defaultRoot). Shared by save, load and import.
 */
import { resolve } from 'node:path';
import type { Store } from '../store/store.js';
import type { Io } from './io.js';

export async function openStoreFromArgs(values: { root?: string }, io: Io): Promise<Store> {
  const { Store } = await import('../store/store.js');
  return Store.open(values.root === undefined ? undefined : resolve(io.cwd, values.root), io.env);
}
