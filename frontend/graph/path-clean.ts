/**
 * The WORKDIR rule: a relative path joins onto the current working directory, and the
 * result is absolute and clean. The cleaning itself is Go's `path.Clean`, written once in
 * frontend (dockerignore/clean-path.ts) because frontend/ uses no Node modules.
 */
import { cleanPath } from '../dockerignore/clean-path.js';

/** `path` made absolute against `cwd` (itself absolute, or empty meaning `/`), cleaned. */
export function resolveWorkdir(cwd: string, path: string): string {
  if (path.startsWith('/')) return cleanPath(path);
  return cleanPath(`/${cwd}/${path}`);
}
