/**
 * Executes one COPY/ADD: selects its sources (the context, another stage's layers, or an
 * image's), resolves --chown against the image being built, and writes the result into
 * `staging`, which becomes the step's layer.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceSet } from '../context/source-set.js';
import { addInto } from '../copy/add-into.js';
import { addUrl } from '../copy/add-url.js';
import type { CopyOptions } from '../copy/copy-into.js';
import { copyInto } from '../copy/copy-into.js';
import { LayerSource } from '../copy/layer-source.js';
import { resolveOwner } from '../copy/resolve-owner.js';
import { writeHeredocs } from '../copy/write-heredocs.js';
import type { Digest } from '../oci/digest.js';
import type { StageState } from './config-apply.js';
import type { RunnerDeps } from './runners.js';
import { diffDirs } from './runners.js';
import { isUrl, resolveDest } from './step-ops.js';
import type { ImageState, PlannedStep } from './types.js';

export async function copyStep(
  p: PlannedStep,
  state: StageState,
  image: ImageState,
  staging: string,
  d: RunnerDeps,
): Promise<{ layerFiles?: Digest }> {
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
  const written: [string, string][] = [];
  opts.onFile = (target, e) => {
    if (e.digest) written.push([target, e.digest]);
  };
  opts.reuse = await reuseFromPrevious(p, d);
  if (ins.kind === 'add' && (!ins.from || set.origin === 'context'))
    await addInto(staging, set, dest, { ...opts, unpack: ins.unpack });
  else await copyInto(staging, set, dest, opts);
  if (written.length === 0) return {};
  return { layerFiles: (await d.store.putBlob(JSON.stringify(written))).digest };
}

/**
 * When only this COPY's sources changed, its previous layer holds every unchanged file
 * already, with the same owner and mode: those are hard-linked from there (layers are
 * immutable), so the rebuild writes only what changed.
 */
async function reuseFromPrevious(p: PlannedStep, d: RunnerDeps): Promise<CopyOptions['reuse']> {
  if (!p.previous || !(await d.store.getLayer(p.previous.chainId))) return undefined;
  const pairs = await d.store.readJsonBlob<[string, string][]>(p.previous.layerFiles).catch(() => undefined);
  if (!pairs) return undefined;
  const before = new Map(pairs);
  const diff = d.store.diffPath(p.previous.chainId);
  return (target, e) => {
    if (e.digest === undefined || before.get(target) !== e.digest) return undefined;
    const prev = join(diff, target);
    const st = lstatSync(prev, { throwIfNoEntry: false });
    return st?.isFile() && st.size === e.size ? prev : undefined;
  };
}
