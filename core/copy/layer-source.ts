/**
 * LayerSource: the source of `COPY --from=stage|image`, a merged view over that stage's
 * layer diff dirs. It selects and checksums files exactly as BuildContext does, so the
 * executor treats both alike. Differences from the context: no .dockerignore, ownership
 * is the files' own (COPY --from keeps it unless --chown), and symlinks resolve inside
 * the image root (chroot semantics), as BuildKit's `fs.RootPath` does.
 */
import { createHash } from 'node:crypto';
import { ContentHasher } from '../context/content-hasher.js';
import { compileIgnore } from '../context/ignore-rules.js';
import { createLimiter, type Limiter } from '../context/limit.js';
import { resolveSourcesIn } from '../context/resolve-sources.js';
import { SourceSet } from '../context/source-set.js';
import { type MetaStore, StatCache } from '../context/stat-cache.js';
import { LayerStack } from '../fs/layer-stack.js';

export interface LayerSourceOptions {
  /** Persists checksums of layer files across builds (layers are immutable, so hits are the norm). */
  metaStore?: MetaStore;
  onContentRead?: (abs: string) => void;
  concurrency?: number;
}

export class LayerSource {
  readonly view: LayerStack;
  readonly #hasher: ContentHasher;
  readonly #limit: Limiter;

  private constructor(view: LayerStack, hasher: ContentHasher, limit: Limiter) {
    this.view = view;
    this.#hasher = hasher;
    this.#limit = limit;
  }

  /** @param diffDirsTopFirst the stage's layer diff dirs, newest first. */
  static async open(
    diffDirsTopFirst: readonly string[],
    opts: LayerSourceOptions = {},
  ): Promise<LayerSource> {
    const view = new LayerStack(diffDirsTopFirst);
    const limit = createLimiter(opts.concurrency ?? 16);
    const id = createHash('sha256').update(view.layers.join('\0')).digest('hex');
    const statCache = await StatCache.load(opts.metaStore, `layers:${id}`);
    return new LayerSource(
      view,
      new ContentHasher({ statCache, limit, onContentRead: opts.onContentRead }),
      limit,
    );
  }

  async resolveSources(
    patterns: string[],
    opts: { exclude?: string[]; parents?: boolean } = {},
  ): Promise<SourceSet> {
    const exclude = opts.exclude && opts.exclude.length > 0 ? compileIgnore(opts.exclude) : undefined;
    const sources = await resolveSourcesIn(this.view, patterns, {
      exclude,
      parents: opts.parents,
      limit: this.#limit,
    });
    return new SourceSet('layers', sources, this.#hasher, opts.parents ?? false);
  }
}
