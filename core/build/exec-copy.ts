/**
 * Executes one COPY/ADD: selects its sources (the context, another stage's layers, or an
 * image's), resolves --chown against the image being built, and writes the result into
 * `staging`, which becomes the step's layer. A COPY of many small files also measures its
 * layer itself, keeping the tar for the next rebuild (see layer-tar-blob.ts).
 */
import type { SourceSet } from '../context/source-set.js';
import { addInto } from '../copy/add-into.js';
import { addUrl } from '../copy/add-url.js';
import type { CopyOptions } from '../copy/copy-into.js';
import { copyInto } from '../copy/copy-into.js';
import { LayerSource } from '../copy/layer-source.js';
import { resolveOwner } from '../copy/resolve-owner.js';
import { writeHeredocs } from '../copy/write-heredocs.js';
import { writeLayerTarBlob } from '../diff/layer-tar-blob.js';
import type { Digest } from '../oci/digest.js';
import type { StageState } from './config-apply.js';
import type { RunnerDeps } from './runners.js';
import { diffDirs } from './runners.js';
import { isUrl, resolveDest } from './step-ops.js';
import type { ImageState, PlannedStep } from './types.js';

export interface CopyStepResult {
  /** Blob listing [target, content digest, mtime written] of each regular file. */
  layerFiles?: Digest;
  /** The layer's measurement when this step took it (then the executor need not). */
  measured?: { diffId: Digest; size: number; empty: boolean };
}

// Keep a COPY's tar only where it pays: many files, small on average (reading them one by
// one is the cost). Big files read as fast from the diff dir as from a tar.
const KEEP_TAR_MIN_FILES = 1000;
const KEEP_TAR_MAX_MEAN = 64 * 1024;

export async function copyStep(
  p: PlannedStep,
  state: StageState,
  image: ImageState,
  staging: string,
  d: RunnerDeps,
): Promise<CopyStepResult> {
  const ins = p.step.instruction;
  if (ins.kind !== 'copy' && ins.kind !== 'add') throw new Error('copyStep: not a COPY/ADD step');
  const workdir = state.config.WorkingDir || '/';
  const dest = resolveDest(ins.dest, workdir);
  const lowerDirs = diffDirs(d.store, image.chain);
  const chown = ins.chown ? await resolveOwner(lowerDirs, ins.chown) : undefined;
  const opts: CopyOptions = {
    workdir,
    chown,
    chmod: ins.chmod,
    parents: ins.parents,
    sourceDateEpoch: d.sourceDateEpoch,
    lowerDirs,
  };
  if (ins.heredocs.length > 0) await writeHeredocs(staging, ins.heredocs, dest, opts);
  if (ins.kind === 'add') {
    for (const url of ins.sources.filter(isUrl))
      await addUrl(staging, url, dest, { ...opts, checksum: ins.checksum });
  }
  const sources = ins.kind === 'add' ? ins.sources.filter((src) => !isUrl(src)) : ins.sources;
  if (sources.length === 0) return {};
  let set: SourceSet;
  if (ins.from?.kind === 'image' && d.ctx.isNamedDir(ins.from.ref)) {
    set = await d.ctx.sourceSet(p.step, sources, ins.exclude, ins.parents, ins.from.ref);
  } else if (ins.from) {
    const chain =
      ins.from.kind === 'stage'
        ? d.stageStates.get(ins.from.index)?.chain
        : (await d.lookupImage(ins.from.ref)).state.chain;
    if (!chain) throw new Error(`copy --from: stage ${JSON.stringify(ins.from)} has not run`);
    const src = await LayerSource.open(diffDirs(d.store, chain), {
      metaStore: { readMeta: (n) => d.store.readMeta(n), writeMeta: (n, data) => d.store.writeMeta(n, data) },
    });
    set = await src.resolveSources(sources, { exclude: ins.exclude, parents: ins.parents });
  } else {
    set = await d.ctx.sourceSet(p.step, sources, ins.exclude, ins.parents);
  }
  const written: LayerFile[] = [];
  const sde = d.sourceDateEpoch;
  opts.onFile = (target, e) => {
    if (e.digest) written.push([target, e.digest, sde !== undefined && e.mtime > sde ? sde : e.mtime]);
  };
  const previous = await reuseFromPrevious(p, d);
  opts.reuse = previous?.reuse;
  let measured: CopyStepResult['measured'];
  if (ins.kind === 'add' && (!ins.from || set.origin === 'context')) {
    await addInto(staging, set, dest, { ...opts, unpack: ins.unpack });
  } else {
    const r = await copyInto(staging, set, dest, opts);
    // Only a step whose every byte went through copyInto: heredocs and URLs are written
    // outside its accounting.
    const plain = ins.kind === 'copy' && ins.heredocs.length === 0;
    if (plain && r.files >= KEEP_TAR_MIN_FILES && r.bytes / r.files <= KEEP_TAR_MAX_MEAN) {
      const same = new Set(r.linked.map((t) => t.slice(1)));
      const t = await writeLayerTarBlob(d.store, staging, { earlierDiffId: previous?.diffId, same });
      measured = { diffId: t.diffId, size: t.size, empty: t.entries === 0 };
    }
  }
  if (written.length === 0) return { measured };
  return { layerFiles: (await d.store.putBlob(JSON.stringify(written))).digest, measured };
}

/** One regular file of a COPY layer: target, content digest, mtime written (seconds). */
type LayerFile = [string, string, number];

/**
 * When only this COPY's sources changed, its previous layer holds every unchanged file
 * already, with the same owner and mode: those are hard-linked from there (layers are
 * immutable), so the rebuild writes only what changed. A file is the same when its content
 * digest and the mtime it was given match (an mtime alone does not change the cache key,
 * but it is in the tar). Lists from before mtimes were recorded reuse nothing.
 */
async function reuseFromPrevious(
  p: PlannedStep,
  d: RunnerDeps,
): Promise<{ reuse: CopyOptions['reuse']; diffId: Digest } | undefined> {
  const layer = p.previous && (await d.store.getLayer(p.previous.chainId));
  if (!p.previous || !layer) return undefined;
  const rows = await d.store.readJsonBlob<LayerFile[]>(p.previous.layerFiles).catch(() => undefined);
  if (!rows) return undefined;
  const before = new Map<string, LayerFile>();
  for (const row of rows) if (row.length === 3) before.set(row[0], row);
  const diff = d.store.diffPath(p.previous.chainId);
  const sde = d.sourceDateEpoch;
  return {
    diffId: layer.diffId,
    reuse: (target, e) => {
      const row = before.get(target);
      if (e.digest === undefined || row === undefined || row[1] !== e.digest) return undefined;
      if (row[2] !== (sde !== undefined && e.mtime > sde ? sde : e.mtime)) return undefined;
      // No stat: a layer's files are immutable, and a path that is gone fails the link.
      return diff + target;
    },
  };
}
