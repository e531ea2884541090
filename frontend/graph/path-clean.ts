/**
 * POSIX path cleaning like Go's `path.Clean`, plus the WORKDIR rule: a relative path joins
 * onto the current working directory, and the result is absolute and clean. Written here
 * because frontend/ uses no Node modules.
 */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** `path` made absolute against `cwd` (itself absolute, or empty meaning `/`), cleaned. */
export function resolveWorkdir(cwd: string, path: string): string {
  if (path.startsWith('/')) return cleanPath(path);
  return cleanPath(`/${cwd}/${path}`);
}
