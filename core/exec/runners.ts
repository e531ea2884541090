/**
 * The effectful side of each step kind, wired to the modules that do the work: the
 * context and copy code for COPY/ADD, runc for RUN, the layer writer for diffIDs.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunMount as GraphMount, Step } from '../../frontend/graph/types.js';
import type { Store } from '../../store/store.js';
import { copyInto, writeEntries } from '../copy/copy-into.js';
import { destinationTree, lowerDirMeta } from '../copy/created-dirs.js';
import { resolveOwner } from '../copy/resolve-owner.js';
import type { UrlContent } from '../copy/url-content.js';
import { writeLayerTar } from '../diff/write-layer-tar.js';
import { idMode } from '../fs/id-mode.js';
import { LayerStack } from '../fs/layer-stack.js';
import type { Digest } from '../oci/digest.js';
import { NotFoundError } from '../oci/errors.js';
import type { PlanContext } from '../plan/build-context.js';
import type { ImageState } from '../plan/types.js';
import type { ProgressSink } from '../progress/events.js';
import type { ResolvedImage } from './base-image.js';
import { copyStep } from './exec-copy.js';
import type { SecretSource } from './exec-run.js';
import type { StepRunners } from './executor.js';

export interface RunnerDeps {
  store: Store;
  ctx: PlanContext;
  /** This build's private directory on the store's filesystem (overlay work dirs live there). */
  tmpDir: string;
  secrets: Map<string, SecretSource>;
  /** `--isolation`: how RUN steps run (runc, or chroot where no namespace can be made). */
  isolation?: 'runc' | 'chroot';
  /** Entitlements granted with `--allow`. */
  allow: ReadonlySet<string>;
  /** Agent sockets by id (`--ssh`). */
  ssh: ReadonlyMap<string, string>;
  env: NodeJS.ProcessEnv;
  /** Proxy build-args: in every RUN's env, never in a cache key. */
  extraEnv: string[];
  /** The RUN containers' hostname, when the build names one. */
  hostname?: string;
  signal?: AbortSignal;
  progress: ProgressSink;
  lookupImage(ref: string): Promise<ResolvedImage>;
  /** Final image state of each stage that has run, for COPY --from and mounts from=. */
  stageStates: Map<number, ImageState>;
  /** Progress vertex of the step now running (for its log lines). */
  currentVertex(): number;
  /**
   * The content behind an ADD URL: what the planner resolved, or (with --checksum, whose
   * key needs no download) fetched now through the same fetcher.
   */
  resolveUrl(url: string): Promise<UrlContent>;
}

/** Diff dirs of an image's layers, top-most first (overlay lowerdir order). */
export function diffDirs(store: Store, chain: Digest[]): string[] {
  return chain.map((c) => store.diffPath(c)).reverse();
}

export function makeRunners(d: RunnerDeps): StepRunners {
  const stateOf = async (from: NonNullable<GraphMount['from']>): Promise<ImageState> => {
    const state =
      from.kind === 'stage' ? d.stageStates.get(from.index) : (await d.lookupImage(from.ref)).state;
    if (!state) throw new Error(`mount from stage ${JSON.stringify(from)}: stage has not run`);
    return state;
  };
  const stageIdentity = async (from: NonNullable<GraphMount['from']>): Promise<string> =>
    (await stateOf(from)).chain.at(-1) ?? 'scratch';
  const stageRoot = async (from: NonNullable<GraphMount['from']>): Promise<string> => {
    // A read-only merged view for RUN --mount from=: materialised by copying, since a bind
    // mount needs one directory. Costly for big stages; an overlay mount would avoid it.
    const state = await stateOf(from);
    const out = join(d.tmpDir, `from-${Math.random().toString(36).slice(2)}`);
    await mkdir(out, { recursive: true });
    // exportRootfs reads an image by its config; a stage's config is stored for that.
    const { digest } = await d.store.putBlob(JSON.stringify(state.config));
    const { exportRootfs } = await import('../export/export-rootfs.js');
    // The step sees the stage's owners, in a user namespace too (there as far as it maps).
    await exportRootfs(d.store, { config: digest }, out, { keepOwners: idMode().kind !== 'user' });
    return out;
  };
  const contextMount = async (step: Step, source: string | undefined, dir: string): Promise<string> => {
    // The very SourceSet the planner checksummed for this mount (sourceSet memoises per step
    // and arguments), written by COPY's own writer: what runs is what was keyed.
    const set = await d.ctx.sourceSet(step, [source ?? '.'], [], false);
    await mkdir(dir, { mode: 0o700 });
    const isDir = set.matches[0]?.entries[0]?.type === 'dir';
    await copyInto(dir, set, isDir ? '/context/' : '/context', { workdir: '/', concurrency: 8 });
    return join(dir, 'context');
  };
  return {
    copy: (p, state, image, staging) => copyStep(p, state, image, staging, d),
    async run(p, state, image, upper) {
      // RUN's code (runc, mounts, the snapshot diff) loads on the first RUN that executes:
      // a build whose misses are all COPY steps never pays for it.
      const [{ execRun }, { normalizeUpperDir }] = await Promise.all([
        import('./exec-run.js'),
        import('../diff/normalize-upper-dir.js'),
      ]);
      // A RUN for another architecture needs QEMU registered through binfmt_misc: refused
      // with the reason before runc starts, not an exec format error from inside.
      const platform = p.keyInputs.op.platform;
      if (typeof platform === 'string') {
        const { checkEmulation } = await import('../runtime/emulation.js');
        await checkEmulation(platform);
      }
      const lowers = diffDirs(d.store, image.chain);
      const vertex = d.currentVertex();
      await execRun(p.step, state, lowers, upper, {
        store: d.store,
        contextDir: d.ctx.root,
        secrets: d.secrets,
        allow: d.allow,
        isolation: d.isolation,
        ssh: d.ssh,
        hostEnv: d.env,
        extraEnv: d.extraEnv,
        hostname: d.hostname,
        tmpDir: d.tmpDir,
        stageRoot,
        stageIdentity,
        contextMount,
        onOutput: (stream, data) =>
          d.progress({ type: 'vertex-log', id: vertex, stream, data, time: Date.now() }),
        signal: d.signal,
      });
      // Files only copied up (chmod to the same mode, touched) are not changes.
      await normalizeUpperDir(upper, lowers);
    },
    async workdir(p, state, image, staging) {
      const ins = p.step.instruction;
      if (ins.kind !== 'workdir') return false;
      // The merged view of the layers (whiteouts, opaque dirs, symlinks) decides, as in copies.
      const lowers = diffDirs(d.store, image.chain);
      const lower = new LayerStack(lowers);
      // An existing directory is left as it is; the step still makes its (empty) layer, as
      // BuildKit's Mkdir with parents does for every WORKDIR but `/`.
      if (lowerDirMeta(lower, ins.path)) return true;
      // BuildKit's WORKDIR is a Mkdir with parents as the stage's USER (dispatchWorkdir).
      const user = image.config.config?.User;
      const chown = user ? await workdirOwner(lowers, user) : undefined;
      const tree = destinationTree(staging, lower, { chown });
      tree.ensureDir(ins.path);
      await writeEntries(tree, { concurrency: 1 });
      void state;
      return true;
    },
    async measure(dir) {
      const r = await writeLayerTar(dir, null);
      // The tar's entry count says it: an empty diff dir writes no entries.
      return { diffId: r.diffId, size: r.size, empty: r.entries === 0 };
    },
  };
}

/**
 * The owner of directories WORKDIR creates: USER resolved like --chown; a name the image
 * does not know gives root, as BuildKit's readUser does (it treats a missing user as 0:0).
 */
async function workdirOwner(lowers: readonly string[], user: string) {
  try {
    return await resolveOwner(lowers, user);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
