/**
 * Expands COPY/ADD source arguments against a source view (the build context, or a merged
 * layer stack): wildcards per component with Go `filepath.Match`, directories walked,
 * symlinks named as sources followed (inside the root only), .dockerignore and --exclude
 * applied. Shared by BuildContext and LayerSource so both select files the same way.
 */
import path from 'node:path';
import type { FileEntry, ResolvedSource, SourceMatch } from '../fs/file-entry.js';
import { type TreeSource, type WalkDecision, type WalkFilter, walkTree } from '../fs/walk-tree.js';
import { InvalidInputError } from '../oci/errors.js';
import { cleanSourcePath, notFound, type ResolvedPath } from './context-path.js';
import { goMatch, hasWildcard, unescapeComponent } from './go-match.js';
import type { Limiter } from './limit.js';

/** A filter over root-relative paths (the .dockerignore matcher, or --exclude patterns). */
export interface PathFilter {
  /** True when the path is excluded (MatchesOrParentMatches semantics). */
  matches(p: string): boolean;
  /** True when nothing below an excluded `dir` can be re-included, so the walk may skip it. */
  canSkipDir(dir: string): boolean;
}

export interface SourceView extends TreeSource {
  /** Follows symlinks with core/fs/resolve-path.ts (`confine` for a context, `clamp` for layers). */
  resolve(rel: string, followFinal: boolean, named: string): ResolvedPath | Promise<ResolvedPath>;
  /** .dockerignore rules over root-relative paths; absent for layer sources. */
  ignore?: PathFilter;
}

export interface ResolveOptions {
  /** --exclude, matched relative to each match root. */
  exclude?: PathFilter;
  /** --parents: keep the path below the `/./` pivot (default: the root). */
  parents?: boolean;
  limit: Limiter;
}

export async function resolveSourcesIn(
  view: SourceView,
  patterns: string[],
  opts: ResolveOptions,
): Promise<ResolvedSource[]> {
  if (patterns.length === 0) throw new InvalidInputError('copy: no source files were specified');
  const out: ResolvedSource[] = [];
  for (const pattern of patterns) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pattern)) {
      throw new InvalidInputError(`copy: source can't be a URL for COPY: ${pattern}`);
    }
    const rel = cleanSourcePath(pattern);
    const pivot = opts.parents ? parentsPivot(pattern) : undefined;
    const wildcard = hasWildcard(rel);
    // A literal source may still escape wildcard characters (`x\\[1\\].txt`), as Go's Match allows.
    const literal = rel.split('/').map(unescapeComponent).join('/');
    const found = wildcard
      ? await expandWildcard(view, pattern, rel)
      : [{ named: literal, name: path.posix.basename(literal) }];
    const matches: SourceMatch[] = [];
    for (const f of found) {
      const m = await matchAt(view, pattern, f.named, opts, !wildcard);
      if (!m) continue;
      m.name = f.name;
      if (pivot !== undefined) m.parentsPath = path.posix.relative(pivot, f.named) || '.';
      matches.push(m);
    }
    out.push({ pattern, wildcard, matches });
  }
  return out;
}

/** The `/./` pivot of a --parents source, context-relative (`''` when there is none). */
function parentsPivot(pattern: string): string {
  const i = pattern.lastIndexOf('/./');
  return i < 0 ? '' : cleanSourcePath(pattern.slice(0, i) || '/');
}

/**
 * One named path: ignore check, symlink resolution, stat, walk. Returns undefined for a
 * wildcard candidate that turns out excluded; throws for a literal one.
 */
async function matchAt(
  view: SourceView,
  pattern: string,
  named: string,
  opts: ResolveOptions,
  literal: boolean,
): Promise<SourceMatch | undefined> {
  const ignored = (p: string): boolean => p !== '' && view.ignore !== undefined && view.ignore.matches(p);
  if (ignored(named)) {
    if (literal) throw notFound(pattern, 'excluded by .dockerignore');
    return undefined;
  }
  const r = await view.resolve(named, true, pattern);
  // A dangling symlink (named, or matched by a wildcard) fails as BuildKit's copy does, but
  // says which link it was: "src/* not found" alone would be wrong about the pattern.
  if (!r.exists)
    throw notFound(
      pattern,
      r.rel !== named ? `${named} is a symlink to /${r.rel}, which does not exist` : undefined,
    );
  // Docker matches both the link and its target: a link must not smuggle in an ignored file.
  if (r.rel !== named && ignored(r.rel)) {
    if (literal) throw notFound(pattern, 'its symlink target is excluded by .dockerignore');
    return undefined;
  }
  const root: FileEntry = await view.stat('', r.abs);
  if (root.type !== 'dir') return { path: named, name: '', entries: [root] };
  const filter = makeFilter(view.ignore, r.rel, opts.exclude);
  const entries = await walkTree(root, view, filter);
  return { path: named, name: '', entries };
}

function makeFilter(
  ignore: PathFilter | undefined,
  base: string,
  exclude: PathFilter | undefined,
): WalkFilter | undefined {
  if (!ignore && !exclude) return undefined;
  return (rel: string, isDir: boolean): WalkDecision => {
    let decision: WalkDecision = 'keep';
    for (const [f, p] of [
      [ignore, base === '' ? rel : `${base}/${rel}`],
      [exclude, rel],
    ] as const) {
      if (!f?.matches(p)) continue;
      if (!isDir || f.canSkipDir(p)) return 'skip';
      decision = 'enter';
    }
    return decision;
  };
}

interface Candidate {
  named: string;
  name: string;
}

/** Expands a wildcard source into named paths, sorted; `name` is relative to the fixed prefix. */
async function expandWildcard(view: SourceView, pattern: string, rel: string): Promise<Candidate[]> {
  const comps = rel.split('/');
  const first = comps.findIndex(hasWildcard);
  const prefix = comps.slice(0, first).map(unescapeComponent).join('/');
  let current: string[] = [prefix];
  for (let i = first; i < comps.length; i++) {
    const comp = comps[i];
    const next: string[] = [];
    for (const named of current) {
      const dir = await view.resolve(named, true, pattern);
      if (!dir.exists) continue;
      const dirEntry = await view.stat('', dir.abs);
      if (dirEntry.type !== 'dir') continue;
      const join = (n: string): string => (named === '' ? n : `${named}/${n}`);
      if (hasWildcard(comp)) {
        const kids = await view.list(dirEntry);
        for (const k of kids) if (goMatch(comp, k.name)) next.push(join(k.name));
      } else {
        const lit = unescapeComponent(comp);
        const probe = await view.resolve(join(lit), false, pattern);
        if (probe.exists) next.push(join(lit));
      }
    }
    current = next.sort();
  }
  return current.map((named) => ({
    named,
    name: prefix === '' ? named : path.posix.relative(prefix, named),
  }));
}
