/**
 * A host directory as a tree for resolvePath: the build context (policy `confine`) or a
 * container's root filesystem (policy `clamp`). Lookups are lstat calls, so nothing here
 * ever follows a link; calls are synchronous for the reason core/fs/walk-tree.ts gives.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../oci/errors.js';
import { type PathLookup, type PathProbe, type ResolveOptions, resolvePath } from './resolve-path.js';

export class HostTree implements PathLookup {
  readonly rootAbs: string;
  /** Verb for errors other than "missing" (`read build context`, ...). */
  readonly #what: string;

  constructor(root: string, what = 'read directory') {
    this.rootAbs = path.resolve(root);
    this.#what = what;
  }

  /** Host path of a root-relative path (no resolution: `rel` must already be resolved). */
  hostPath(rel: string): string {
    return rel === '' ? this.rootAbs : `${this.rootAbs}/${rel}`;
  }

  probe(rel: string): PathProbe | undefined {
    try {
      const st = lstatSync(this.hostPath(rel));
      return { kind: st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'other' };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new InvalidInputError(`${this.#what}: stat ${rel || '.'}: ${code ?? 'error'}`, { cause: err });
    }
  }

  readLink(rel: string): string {
    return readlinkSync(this.hostPath(rel));
  }

  /** resolvePath over this directory; `confine` judges absolute targets against the host root. */
  resolve(rel: string, opts: Omit<ResolveOptions, 'hostRoot'>) {
    const r = resolvePath(this, rel, { ...opts, hostRoot: this.rootAbs });
    return { ...r, abs: this.hostPath(r.rel) };
  }
}

/**
 * Resolves `p` as if `root` were `/` (policy `clamp`) and returns the host path, equal to
 * `root` or inside it: the rule for every path a Dockerfile names inside a container root
 * (mount targets, WORKDIR, the user database). Components that do not exist are kept.
 */
export function resolveInRoot(root: string, p: string): string {
  const rel = resolveInRootRelative(root, p);
  return rel === '/' ? path.resolve(root) : path.join(path.resolve(root), rel);
}

/** Like `resolveInRoot`, but returns the resolved path relative to root, as `/a/b` (root is `/`). */
export function resolveInRootRelative(root: string, p: string): string {
  // 255 links, as filepath-securejoin allows: a container root is not the user's context.
  const opts = {
    policy: 'clamp',
    followFinal: true,
    named: p,
    what: 'resolve path in root',
    maxLinks: 255,
  } as const;
  return `/${resolvePath(new HostTree(root, opts.what), p, opts).rel}`;
}
