/**
 * Executes one COPY/ADD: selects its sources (the context, another stage's layers, or an
 * image's), resolves --chown against the image being built, and writes the result into
 * `staging`, which becomes the step's layer. A COPY of many small files also measures its
 * layer itself, keeping the tar for the next rebuild (see layer-tar-blob.ts).
 */
import type { StagedBlob } from '../../store/store.js';
import type { SourceSet } from '../context/source-set.js';
import type { CopyOptions } from '../copy/copy-into.js';
import { copyInto } from '../copy/copy-into.js';
import { LayerFilesWriter, PreviousFiles } from '../copy/layer-files.js';
import { LayerSource } from '../copy/layer-source.js';
import { resolveOwner } from '../copy/resolve-owner.js';
import { measureLayerTar } from '../diff/measure-layer-tar.js';
import { sameFiles } from '../diff/same-files.js';
import type { Digest } from '../oci/digest.js';
import type { StageState } from '../plan/config-apply.js';
import { isUrl, resolveDest } from '../plan/step-ops.js';
import type { ImageState, PlannedStep } from '../plan/types.js';
import { collectIfLarge } from '../progress/heap.js';
import { timed } from '../progress/timings.js';
import type { RunnerDeps } from './runners.js';
import { diffDirs } from './runners.js';

export interface CopyStepResult {
  /** Blob listing the regular files written (core/copy/layer-files.ts): staged, for the executor to publish. */
  layerFiles?: Promise<StagedBlob>;
  /** The layer's measurement when this step took it (then the executor need not). */
  measured?: { diffId: Digest; size: number; empty: boolean };
}

// Keep a COPY's tar only where it pays: many files, small on average (reading them one by
// one is the cost; big files read as fast from the diff dir as from a tar), and not past
// 1 GiB: the kept tar doubles the layer's size on disk until gc.
const KEEP_TAR_MIN_FILES = 1000;
const KEEP_TAR_MAX_MEAN = 64 * 1024;
const KEEP_TAR_MAX_BYTES = 1 << 30;
/** Files written anew by a COPY from which a collection before measuring its tar pays. */
const MANY_WRITTEN = 20_000;

/** A COPY of at least this many bytes shows byte progress (smaller ones finish too soon). */
export const COPY_PROGRESS_MIN_BYTES = 32 << 20;
const COPY_PROGRESS_EVERY_MS = 100;

/**
 * Byte progress of a big COPY, as a status of the step's vertex (`copying 12MB / 384MB`,
 * BuildKit shows a context transfer the same way): counted as the copier takes each file,
 * sent at most every 100 ms, and once, completed, at the end. Undefined for a small COPY.
 */
function copyProgress(set: SourceSet, d: RunnerDeps): { add(n: number): void; done(): void } | undefined {
  let total = 0;
  for (const m of set.matches) for (const e of m.entries) if (e.type === 'file') total += e.size;
  if (total < COPY_PROGRESS_MIN_BYTES) return undefined;
  const id = d.currentVertex();
  let current = 0;
  let last = 0;
  const send = (completed: boolean) =>
    d.progress({ type: 'vertex-status', id, text: 'copying', statusId: 'copy', current, total, completed });
  return {
    add(n) {
      current += n;
      const now = Date.now();
      if (now - last >= COPY_PROGRESS_EVERY_MS) {
        last = now;
        send(false);
      }
    },
    done() {
      current = total;
      send(true);
    },
  };
}

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
    // --link: the layer is made on an empty base (missing parents get defaults, whatever
    // the image below holds), so it can be stacked on any parent (see executor stackedResult).
    lowerDirs: ins.link ? [] : lowerDirs,
  };
  // Heredocs, URLs and archives load their code when a step has them: a plain COPY miss
  // never loads the tar/zlib/child_process/TLS modules those need.
  if (ins.heredocs.length > 0) {
    const { writeHeredocs } = await import('../copy/write-heredocs.js');
    await writeHeredocs(staging, ins.heredocs, dest, opts);
  }
  if (ins.kind === 'add') {
    for (const url of ins.sources.filter(isUrl)) {
      const { addUrl } = await import('../copy/add-url.js');
      // Without --checksum the planner keyed the step by the downloaded content: that very
      // content goes into the layer (no second download). With it, the content is fetched
      // now, conditionally: a step that misses only because its parent changed finds the
      // body it downloaded before still current (304) and downloads nothing.
      const content = await d.resolveUrl(url);
      await addUrl(staging, url, dest, { ...opts, checksum: ins.checksum, unpack: ins.unpack, content });
    }
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
      metaStore: d.store,
    });
    set = await src.resolveSources(sources, { exclude: ins.exclude, parents: ins.parents });
  } else {
    set = await d.ctx.sourceSet(p.step, sources, ins.exclude, ins.parents);
  }
  // Rows get their fromTar flag once the layer is measured.
  const written = new LayerFilesWriter();
  const bytes = copyProgress(set, d);
  opts.onFile = (target, e) => {
    if (e.digest) written.add(target, e.digest, e.mtime);
    bytes?.add(e.size);
  };
  let previous = await previousFiles(p, d);
  if (previous) opts.reuse = previous.reuse.bind(previous);
  let measured: CopyStepResult['measured'];
  let tar: KeptTar = { fromTar: [] };
  if (ins.kind === 'add' && (!ins.from || set.origin === 'context')) {
    const { addInto } = await import('../copy/add-into.js');
    await addInto(staging, set, dest, { ...opts, unpack: ins.unpack });
  } else {
    const r = await timed('copy', () => copyInto(staging, set, dest, opts));
    previous?.doneReusing();
    // Only a step whose every byte went through copyInto (heredocs and URLs are written
    // outside its accounting), and whose files have content digests: without them the
    // next run links nothing, and a kept tar would never be read.
    const plain = ins.kind === 'copy' && ins.heredocs.length === 0 && written.count > 0;
    const small = r.bytes / r.files <= KEEP_TAR_MAX_MEAN && r.bytes <= KEEP_TAR_MAX_BYTES;
    if (plain && r.files >= KEEP_TAR_MIN_FILES && small) {
      // A copy that wrote many files anew (not linked from its previous layer) leaves their
      // garbage in the old generation as planning does (heap.ts), and measuring the tar
      // then reads every one of them again: collected first, a cold 100,000-file COPY
      // peaked at ~210 MB instead of 264. A rebuild that linked its files gains nothing.
      if (r.files - r.linked.length >= MANY_WRITTEN) await timed('gc', collectIfLarge);
      ({ measured, tar } = await timed('tar', () => measureCopy(staging, r.files, r.linked, previous, d)));
    }
  }
  bytes?.done();
  // The previous list is done with: let it go before this one is written out.
  previous = undefined;
  opts.reuse = undefined;
  if (written.count === 0) return { measured };
  // Not awaited here: the executor waits for it while the layer commits. Written in pieces
  // as its rows are made: the whole text of a 100,000-file list never exists at once.
  return { layerFiles: d.store.stageBlobPieces(written.pieces(tar.digest, tar.fromTar)), measured };
}

/**
 * Measures a COPY layer of many small files. Files linked from the previous layer that are
 * still the inodes of its kept tar have their entries copied from that tar; the tar is only
 * hashed then, unless fewer than 7/8 of the files still come from it (or it is gone), and
 * then this layer's tar is kept instead: each rebuild need not write 40 MB again.
 */
async function measureCopy(
  staging: string,
  files: number,
  linked: string[],
  previous: PreviousFiles | undefined,
  d: RunnerDeps,
): Promise<{
  measured: CopyStepResult['measured'];
  tar: KeptTar;
}> {
  const fromPrev = previous?.tar !== undefined ? previous.linkedFromTar(linked) : [];
  const same = sameFiles(fromPrev);
  const earlier = previous?.tar;
  const keep = !(earlier && fromPrev.length * 8 >= files * 7 && (await d.store.hasBlob(earlier)));
  const t = await measureLayerTar(d.store, staging, { earlier, same, keep });
  const measured = { diffId: t.diffId, size: t.size, empty: t.entries === 0 };
  if (keep) return { measured, tar: { digest: t.diffId, fromTar: 'all' } };
  return { measured, tar: { digest: earlier, fromTar: fromPrev } };
}

/** The tar a layer-files doc names, and which of its files are inodes that tar was written from. */
interface KeptTar {
  digest?: Digest;
  /** Every file, or these targets, in the order the copier wrote them. */
  fromTar: 'all' | readonly string[];
}

/**
 * When only this COPY's sources changed, its previous layer holds every unchanged file
 * already, with the same owner and mode: those are hard-linked from there (layers are
 * immutable), so the rebuild writes only what changed (see PreviousFiles.reuse).
 */
async function previousFiles(p: PlannedStep, d: RunnerDeps): Promise<PreviousFiles | undefined> {
  if (!p.previous || !(await d.store.getLayer(p.previous.chainId))) return undefined;
  const blob = await d.store.readBlob(p.previous.layerFiles).catch(() => undefined);
  if (blob === undefined) return undefined;
  return new PreviousFiles(blob, d.store.diffPath(p.previous.chainId), undefined);
}
