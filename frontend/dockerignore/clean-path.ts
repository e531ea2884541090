/**
 * Go's `path/filepath.Clean` and `Dir` for `/`-separated paths: the exact rules
 * patternmatcher and ignorefile rely on (`./a` → `a`, `a//b/../c` → `a/c`, `` → `.`).
 */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p[0] === '/';
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
  const s = (rooted ? '/' : '') + out.join('/');
  return s === '' ? '.' : s;
}

/** Go's `filepath.Dir`: everything before the last `/`, cleaned (`a` → `.`, `a/b/` → `a/b`). */
export function dirPath(p: string): string {
  return cleanPath(p.slice(0, p.lastIndexOf('/') + 1));
}
