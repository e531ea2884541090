/**
 * resolvePath: the one symlink resolver. Every path that untrusted content names (a COPY
 * source, a COPY destination inside a layer stack, a mount target or working directory
 * inside a container root, /etc/passwd of an image) is resolved here, component by
 * component, over a tree that answers "what is at this root-relative path" without ever
 * following a link itself. What a symlink may do is a named policy:
 *
 * - `confine` (a build context, a host directory the user handed us): a link is followed
 *   only while it stays inside the root. A relative target that climbs above the root, or an
 *   absolute target outside `hostRoot`, is a SecurityError; an absolute target inside
 *   `hostRoot` (`link -> <context>/sub`) is followed. The classic builder refuses the same way.
 * - `clamp` (a container root, a stack of layers): chroot semantics, like containerd's
 *   continuity `fs.RootPath` and filepath-securejoin. An absolute target restarts at the
 *   root and `..` stops there, so whatever the tree holds the result is inside it.
 *
 * Missing components end the walk's lookups; the rest of the path is cleaned lexically and
 * returned with `exists: false`, so callers can create it. A non-directory met before the
 * last component also makes the path missing (ENOTDIR).
 *
 * Not race-free against a process changing the tree meanwhile: callers resolve in trees
 * nothing else writes at that moment (a context, immutable layer dirs, a stopped container's
 * root) and open the result with no-follow (core/fs/read-bounded.ts).
 */
import { InvalidInputError, SecurityError } from '../oci/errors.js';

export type SymlinkPolicy = 'confine' | 'clamp';

/** What a tree says about one root-relative path (`''` is the root), links not followed. */
export interface PathProbe {
  kind: 'dir' | 'link' | 'other';
}

/** The two questions the resolver asks a tree. */
export interface PathLookup {
  /** The entry at `rel`, or undefined when there is none (or a parent is not a directory). */
  probe(rel: string): PathProbe | undefined;
  /** The target of the symlink at `rel` (probe said `link`). */
  readLink(rel: string): string;
}

export interface ResolveOptions {
  policy: SymlinkPolicy;
  /** Follow a symlink in the last component too (a COPY source: yes; a path to replace: no). */
  followFinal: boolean;
  /** How the path was written, for error messages. */
  named: string;
  /** `confine` only: the host path of the root, against which absolute targets are judged. */
  hostRoot?: string;
  /** Symlinks followed before giving up; Linux's MAXSYMLINKS is 40. */
  maxLinks?: number;
  /** Verb for messages: `copy`, `resolve path in root`, ... */
  what?: string;
  /** The error for a link that leaves a `confine` root (default: a generic SecurityError). */
  outsideError?: () => Error;
}

export interface Resolved {
  /** Root-relative path after following symlinks (`''` is the root), no leading `/`. */
  rel: string;
  exists: boolean;
}

export function resolvePath(tree: PathLookup, rel: string, opts: ResolveOptions): Resolved {
  const what = opts.what ?? 'resolve path';
  const maxLinks = opts.maxLinks ?? 40;
  const pending: string[] = [];
  pushReversed(pending, rel);
  const done: string[] = [];
  let links = 0;
  let missing = false;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (done.length === 0) {
        if (opts.policy === 'confine') throw outside(opts);
        continue; // clamp: `..` at the root stays at the root
      }
      done.pop();
      continue;
    }
    done.push(part);
    if (missing) continue;
    const probe = tree.probe(done.join('/'));
    if (probe === undefined) {
      missing = true;
      continue;
    }
    if (probe.kind !== 'link') {
      // A file with components still to come: ENOTDIR, so the path does not exist.
      if (probe.kind === 'other' && pending.some((p) => p !== '' && p !== '.')) missing = true;
      continue;
    }
    if (pending.length === 0 && !opts.followFinal) continue;
    if (++links > maxLinks)
      throw new InvalidInputError(`${what}: too many levels of symlinks in ${opts.named}`);
    const target = tree.readLink(done.join('/'));
    done.pop();
    if (target.startsWith('/')) {
      done.length = 0;
      pushReversed(pending, opts.policy === 'confine' ? insideHostRoot(target, opts) : target);
    } else {
      pushReversed(pending, target);
    }
  }
  return { rel: done.join('/'), exists: !missing };
}

/** An absolute link target as a root-relative path, when it is inside `hostRoot`. */
function insideHostRoot(target: string, opts: ResolveOptions): string {
  const root = (opts.hostRoot ?? '').replace(/\/+$/, '');
  const clean = cleanAbsolute(target);
  if (root === '') throw outside(opts);
  if (clean === root) return '';
  if (!clean.startsWith(`${root}/`)) throw outside(opts);
  return clean.slice(root.length + 1);
}

/** `path.posix.normalize` for an absolute path, without importing node:path here. */
function cleanAbsolute(p: string): string {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return `/${out.join('/')}`;
}

function pushReversed(pending: string[], p: string): void {
  const parts = p.split('/');
  for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]);
}

function outside(opts: ResolveOptions): Error {
  if (opts.outsideError) return opts.outsideError();
  return new SecurityError(
    `${opts.what ?? 'resolve path'}: ${JSON.stringify(opts.named)} is a symlink that points outside the root`,
  );
}
