import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export { MemoryMeta, makeTree, type Tree } from '../context/helpers.js';

export const tempDir = (prefix = 'strata-copy-'): Promise<string> => mkdtemp(path.join(tmpdir(), prefix));

/** Every path below `root` as `path -> "type mode uid:gid [content|->target]"`. */
export function listTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, r);
      const st = lstatSync(abs);
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      const own = `${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out[r] = `dir ${mode} ${own}`;
        walk(r);
      } else if (st.isSymbolicLink()) out[r] = `link ${own} ->${readlinkSync(abs)}`;
      else out[r] = `file ${mode} ${own} ${readFileSync(abs, 'utf8')}`;
    }
  };
  walk('');
  return out;
}
