/**
 * Ref checks, per `refs/<name>.json`: the file parses; its config blob is present, healthy
 * and an image config; every layer of the config's diff_ids is present and healthy; a
 * recorded manifest is present, healthy and names the same config.
 *
 * Repair: an unparseable ref file goes to quarantine/refs/; a ref whose image is broken is
 * removed (the blobs and layers it named are judged on their own); a ref whose only fault is
 * its manifest keeps its name and loses the manifest (one is made again on export).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile } from '../../store/atomic-file.js';
import type { RefTarget } from '../../store/ref-target.js';
import { chainIds, type Digest, isDigest } from '../oci/digest.js';
import type { ImageConfig, Manifest } from '../oci/types.js';
import type { BlobChecker } from './blob-checker.js';
import type { FsckContext } from './fsck-context.js';
import type { LayerChecker } from './layer-checker.js';

/** Checks every ref; returns how many were checked. */
export async function checkRefs(ctx: FsckContext, blobs: BlobChecker, layers: LayerChecker): Promise<number> {
  const dir = join(ctx.store.root, 'refs');
  let count = 0;
  for (const file of (await readdir(dir)).sort()) {
    if (!file.endsWith('.json') || file.startsWith('.')) continue;
    count++;
    const path = join(dir, file);
    let ref: { name: string; target: RefTarget } | undefined;
    try {
      ref = await readJsonFile<{ name: string; target: RefTarget }>(path);
    } catch (err) {
      const p = ctx.report('ref-record', path, (err as Error).message);
      await ctx.quarantineFor(p, path, 'refs');
      continue;
    }
    if (ref === undefined) continue; // removed meanwhile
    if (typeof ref?.name !== 'string' || !isDigest(ref.target?.config)) {
      const p = ctx.report('ref-record', path, 'not a ref: needs a name and a target config digest');
      await ctx.quarantineFor(p, path, 'refs');
      continue;
    }
    // A multi-platform name is as healthy as its least healthy platform image.
    let broken: Awaited<ReturnType<typeof imageProblem>>;
    for (const id of new Set([ref.target.config, ...Object.values(ref.target.platforms ?? {})])) {
      broken ??= isDigest(id)
        ? await imageProblem(ctx, blobs, layers, id)
        : { kind: 'ref-config', detail: `platform image ${JSON.stringify(id)} is not a digest` };
    }
    if (broken !== undefined) {
      const p = ctx.report(broken.kind, path, `${ref.name}: ${broken.detail}`);
      const name = ref.name;
      await ctx.repairWith(p, 'removed', () => ctx.store.deleteRef(name));
      continue;
    }
    const m = ref.target.manifest;
    if (m !== undefined) {
      const bad = await manifestProblem(ctx, blobs, m.digest, ref.target.config);
      if (bad !== undefined) {
        const p = ctx.report('ref-manifest', path, `${ref.name}: ${bad}`);
        const { manifest: _bad, ...rest } = ref.target;
        const name = ref.name;
        await ctx.repairWith(p, 'rewritten', () => ctx.store.setRef(name, rest));
      }
    }
  }
  return count;
}

async function imageProblem(
  ctx: FsckContext,
  blobs: BlobChecker,
  layers: LayerChecker,
  config: Digest,
): Promise<{ kind: 'ref-config' | 'ref-layer'; detail: string } | undefined> {
  const st = await blobs.status(config);
  if (st !== 'ok') return { kind: 'ref-config', detail: `config blob ${config} is ${st}` };
  let diffIds: unknown;
  try {
    diffIds = (await ctx.store.readJsonBlob<ImageConfig>(config))?.rootfs?.diff_ids;
  } catch (err) {
    return { kind: 'ref-config', detail: `config blob ${config}: ${(err as Error).message}` };
  }
  if (!Array.isArray(diffIds) || !diffIds.every(isDigest)) {
    return { kind: 'ref-config', detail: `config blob ${config} has no valid rootfs.diff_ids` };
  }
  for (const [i, c] of chainIds(diffIds).entries()) {
    const ls = await layers.status(c);
    if (ls !== 'ok')
      return { kind: 'ref-layer', detail: `layer ${i} (chainId ${c}) is ${ls === 'bad' ? 'damaged' : ls}` };
  }
  return undefined;
}

async function manifestProblem(
  ctx: FsckContext,
  blobs: BlobChecker,
  digest: Digest,
  config: Digest,
): Promise<string | undefined> {
  const st = await blobs.status(digest);
  if (st !== 'ok') return `manifest blob ${digest} is ${st}`;
  try {
    const m = await ctx.store.readJsonBlob<Manifest>(digest);
    if (m?.config?.digest !== config)
      return `manifest ${digest} names config ${m?.config?.digest}, the ref ${config}`;
  } catch (err) {
    return `manifest blob ${digest}: ${(err as Error).message}`;
  }
  return undefined;
}
