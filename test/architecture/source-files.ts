/** The .ts files of cmd, core, frontend and store, read once, for the architecture tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const TOP = ['cmd', 'core', 'frontend', 'store'];

export interface SourceFile {
  /** Repo-relative, `/`-separated. */
  path: string;
  text: string;
}

export function sourceFiles(): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push({ path: p, text: readFileSync(join(ROOT, p), 'utf8') });
    }
  };
  for (const top of TOP) walk(top);
  return out;
}
