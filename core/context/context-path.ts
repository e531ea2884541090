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
import path from 'node:path';
import { HostTree } from '../fs/host-tree.js';
import type { ResolvedPath } from '../fs/layer-stack.js';
import { InvalidInputError, NotFoundError, SecurityError } from '../oci/errors.js';

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

export type { ResolvedPath } from '../fs/layer-stack.js';

/**
 * Resolves a context-relative path with core/fs's resolver under the `confine` policy:
 * symlinks in every component (and in the last one only when `followFinal`) are followed
 * while they stay inside the context; one that leads outside is refused.
 * @throws SecurityError when a symlink leads outside the context; NotFoundError never
 *   (a missing path gives `exists: false`).
 */
export function resolveInContext(
  rootAbs: string,
  rel: string,
  followFinal: boolean,
  named: string,
): ResolvedPath {
  return new HostTree(rootAbs, 'copy').resolve(rel, {
    policy: 'confine',
    followFinal,
    named,
    what: 'copy',
    outsideError: () => outsideLink(named),
  });
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
