/**
 * Source paths inside the build context. Two decisions live here (security.md section 3):
 * - `COPY ../x` is rejected, like the classic builder ("forbidden path outside the build
 *   context"), rather than silently clamped as BuildKit does: an error is clearer. An
 *   absolute source is context-relative (`/etc/passwd` means `<context>/etc/passwd`), as in
 *   both builders; after cleaning it can never climb out.
 * - A symlink named as a source (or crossed on the way to one) is followed only while its
 *   target stays inside the context. Targets are read as host paths, so `link -> /etc` is
 *   outside and `link -> sub` or `link -> <context>/sub` is inside.
 */
import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, NotFoundError, SecurityError } from '../oci/errors.js';

/** Loop guard, Linux's MAXSYMLINKS. */
const MAX_LINKS = 40;

/**
 * Cleans a source as written into a context-relative path (`''` is the context root).
 * @throws SecurityError when the path climbs out of the context.
 */
export function cleanSourcePath(src: string): string {
  if (src.includes('\0')) throw new InvalidInputError(`copy: source ${JSON.stringify(src)} contains NUL`);
  const abs = src.startsWith('/');
  const cleaned = path.posix.normalize(abs ? src : `./${src}`);
  const rel = abs ? path.posix.normalize(cleaned).replace(/^\/+/, '') : cleaned;
  if (rel === '..' || rel.startsWith('../')) {
    throw new SecurityError(`copy: forbidden path outside the build context: ${src}`);
  }
  const out = rel.replace(/\/+$/, '');
  return out === '.' ? '' : out;
}

export interface ResolvedPath {
  /** Context-relative path after following symlinks (`''` is the root). */
  rel: string;
  abs: string;
  /** lstat of the final path, or undefined when it does not exist. */
  exists: boolean;
}

/**
 * Resolves a context-relative path, following symlinks in every component, and in the
 * last one only when `followFinal`. `..` inside a link target that would leave the root,
 * and absolute targets outside the root, are refused.
 * @throws SecurityError when a symlink leads outside the context; NotFoundError never
 *   (a missing path gives `exists: false`).
 */
export async function resolveInContext(
  rootAbs: string,
  rel: string,
  followFinal: boolean,
  named: string,
): Promise<ResolvedPath> {
  const pending = rel === '' ? [] : rel.split('/').reverse();
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (done.length === 0) throw outsideLink(named);
      done.pop();
      continue;
    }
    done.push(part);
    const abs = path.join(rootAbs, ...done);
    let isLink: boolean;
    try {
      const st = await lstat(abs);
      isLink = st.isSymbolicLink();
      if (!isLink && !st.isDirectory() && pending.length > 0) {
        return { rel: [...done, ...pending.reverse()].join('/'), abs, exists: false };
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        const restRel = [...done, ...pending.reverse()].join('/');
        return { rel: restRel, abs: path.join(rootAbs, restRel), exists: false };
      }
      throw new InvalidInputError(`copy: stat ${named}: ${code ?? 'error'}`, { cause: err });
    }
    if (!isLink || (pending.length === 0 && !followFinal)) continue;
    if (++links > MAX_LINKS) throw new InvalidInputError(`copy: too many levels of symlinks in ${named}`);
    const target = await readlink(abs);
    done.pop();
    if (path.isAbsolute(target)) {
      const inside = path.relative(rootAbs, path.normalize(target));
      if (inside === '..' || inside.startsWith('../') || path.isAbsolute(inside)) throw outsideLink(named);
      done.length = 0;
      pushReversed(pending, inside);
    } else {
      pushReversed(pending, target);
    }
  }
  const finalRel = done.join('/');
  return { rel: finalRel, abs: path.join(rootAbs, finalRel), exists: true };
}

function pushReversed(pending: string[], p: string): void {
  const parts = p.split('/');
  for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]);
}

function outsideLink(named: string): SecurityError {
  return new SecurityError(
    `copy: source ${JSON.stringify(named)} is a symlink that points outside the build context`,
  );
}

export function notFound(named: string, why?: string): NotFoundError {
  return new NotFoundError(
    `copy: source ${JSON.stringify(named)} not found in the build context${why ? ` (${why})` : ''}`,
  );
}
