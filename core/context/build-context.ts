/**
 * BuildContext: the build context directory with its .dockerignore rules and its stat
 * cache. `resolveSources` turns COPY/ADD source arguments into a SourceSet whose checksum
 * is the content key of the step.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { readIgnoreFile } from '../../frontend/dockerignore/index.js';
import { readFileBounded } from '../fs/read-bounded.js';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';
import { ContentHasher } from './content-hasher.js';
import { resolveInContext } from './context-path.js';
import { ContextView } from './context-view.js';
import { compileIgnore } from './ignore-rules.js';
import { createLimiter, type Limiter } from './limit.js';
import { type PathFilter, resolveSourcesIn } from './resolve-sources.js';
import { SourceSet } from './source-set.js';
import { type MetaStore, StatCache } from './stat-cache.js';

export interface OpenContextOptions {
  /** The Dockerfile (absolute, or relative to the current directory like `-f`); `<it>.dockerignore` wins over `.dockerignore`. */
  dockerfilePath?: string;
  /** Use this text as the ignore file instead of reading one. */
  ignoreText?: string;
  /** Where the stat cache persists; without it the cache lives only as long as this object. */
  metaStore?: MetaStore;
  /** Instrumentation: called each time file bytes are actually read. */
  onContentRead?: (abs: string) => void;
  /** Concurrent filesystem calls (default 64). */
  concurrency?: number;
}

export interface ResolveSourcesOptions {
  /** COPY --exclude patterns, matched relative to each selected source. */
  exclude?: string[];
  /** COPY --parents. */
  parents?: boolean;
}

export class BuildContext {
  readonly root: string;
  /** The ignore patterns in effect (after ReadAll cleaning), in file order. */
  readonly ignorePatterns: readonly string[];
  /** Which ignore file was used, if any. */
  readonly ignoreFile: string | undefined;
  readonly #view: ContextView;
  readonly #hasher: ContentHasher;
  readonly #limit: Limiter;

  constructor(
    root: string,
    ignorePatterns: string[],
    ignoreFile: string | undefined,
    ignore: PathFilter | undefined,
    hasher: ContentHasher,
    limit: Limiter,
  ) {
    this.root = root;
    this.ignorePatterns = ignorePatterns;
    this.ignoreFile = ignoreFile;
    this.#view = new ContextView(root, ignore, (dir, kids) => hasher.statCache.noteListing(dir, kids));
    this.#hasher = hasher;
    this.#limit = limit;
  }

  /**
   * Lets go of the stat cache's rows once every checksum of the build is known (planning is
   * over): at 100,000 files they are ~17 MB that the copies need not keep alive. A checksum
   * asked after this still comes out right, from the files (and is not saved).
   */
  releaseCache(): void {
    this.#hasher.statCache.release();
  }

  /**
   * Expands sources. Missing literal sources throw NotFoundError; a wildcard matching
   * nothing selects nothing (BuildKit's AllowEmptyWildcard for Dockerfile COPY); paths out
   * of the context, or symlinks named as sources that point out, throw SecurityError.
   */
  async resolveSources(patterns: string[], opts: ResolveSourcesOptions = {}): Promise<SourceSet> {
    const exclude = opts.exclude && opts.exclude.length > 0 ? compileIgnore(opts.exclude) : undefined;
    const sources = await resolveSourcesIn(this.#view, patterns, {
      exclude,
      parents: opts.parents,
      limit: this.#limit,
    });
    return new SourceSet('context', sources, this.#hasher, opts.parents ?? false);
  }
}

/**
 * Opens a build context. Reads `<Dockerfile>.dockerignore` if it exists, else
 * `.dockerignore` at the root (unless `ignoreText` is given), and loads the stat cache.
 * @throws NotFoundError when `dir` is not a directory; InvalidInputError for bad patterns.
 */
export async function openContext(dir: string, opts: OpenContextOptions = {}): Promise<BuildContext> {
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new NotFoundError(`open build context: ${dir}: not a directory`, { cause: err });
  }
  let text = opts.ignoreText;
  let file: string | undefined;
  if (text === undefined) {
    const dockerfile = path.resolve(opts.dockerfilePath ?? path.join(root, 'Dockerfile'));
    for (const candidate of [`${dockerfile}.dockerignore`, path.join(root, '.dockerignore')]) {
      text = await readIgnore(root, candidate);
      if (text !== undefined) {
        file = candidate;
        break;
      }
    }
  }
  const patterns = text === undefined ? [] : readIgnoreFile(text);
  const ignore = patterns.length > 0 ? compileIgnore(patterns) : undefined;
  const limit = createLimiter(opts.concurrency ?? 64);
  const statCache = await StatCache.load(opts.metaStore, root);
  const hasher = new ContentHasher({ statCache, limit, onContentRead: opts.onContentRead });
  return new BuildContext(root, patterns, file, ignore, hasher, limit);
}

/** An ignore file is a few KB; 1 MiB leaves room without reading a device or a disk image. */
const MAX_IGNORE_FILE = 2 ** 20;

async function readIgnore(root: string, file: string): Promise<string | undefined> {
  const rel = path.relative(root, file);
  let target = file;
  // An ignore file inside the context is resolved like any context path, so a symlinked
  // .dockerignore cannot pull in a host file (podman PR #16315).
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
    const r = await resolveInContext(root, rel, true, rel);
    if (!r.exists) return undefined;
    target = r.abs;
  }
  try {
    // Bounded, regular files only (core/fs/read-bounded.ts); one beside a Dockerfile named
    // with -f is the user's own host file, so a symlink there is followed first.
    const real = target === file ? await realpath(target) : target;
    return (await readFileBounded(real, MAX_IGNORE_FILE, `ignore file ${file}`)).toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof NotFoundError || code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError(`read ignore file: ${file}: ${code ?? 'error'}`, { cause: err });
  }
}
