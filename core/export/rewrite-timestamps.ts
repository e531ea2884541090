/**
 * rewriteTimestamps: BuildKit's `rewrite-timestamp=true` exporter option. Every layer of an
 * image is written again with file times later than SOURCE_DATE_EPOCH clamped to it, which
 * gives new diffIDs and so a new config: the image two machines build from the same sources
 * at the same epoch is then byte for byte the same, RUN steps included.
 *
 * Builds never clamp (a step's layer and key do not depend on the epoch, as in BuildKit);
 * this runs at export, once per image and epoch (memoised in meta/). Each rewritten layer is
 * kept as a layer of its own (diff dir from the rewritten tar, chained on the rewritten
 * parents) and its tar as a blob named by its diffID, which the exporters read as is.
 */
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../../store/index.js';
import { applyLayer } from '../diff/apply-layer.js';
import { writeLayerTar } from '../diff/write-layer-tar.js';
import { readImage } from '../image/read-image.js';
import { chainId, type Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';

/** Returns the config digest of `config` with its layers' times clamped to `epoch` (seconds). */
export async function rewriteTimestamps(store: Store, config: Digest, epoch: number): Promise<Digest> {
  const memo = rewriteMemoName(config, epoch);
  const known = (await store.readMeta(memo))?.toString() as Digest | undefined;
  if (known && (await store.hasBlob(known))) return known;
  const image = await readImage(store, config);
  const diffIds: Digest[] = [];
  let parent: Digest | undefined;
  for (const layer of image.layers) {
    const { diffId } = await rewriteLayer(store, store.diffPath(layer.chainId), epoch, parent);
    parent = chainId(parent, diffId);
    diffIds.push(diffId);
  }
  // Only diff_ids change; the rest keeps its order, so the new config reads like the old.
  const doc = JSON.parse(image.configBytes.toString('utf8')) as { rootfs: { diff_ids: Digest[] } };
  doc.rootfs.diff_ids = diffIds;
  const { digest } = await store.putBlob(JSON.stringify(doc));
  await store.writeMeta(memo, digest);
  return digest;
}

/**
 * The meta file remembering `config`'s rewrite at `epoch`: a pure cache (core/gc/meta-caches.ts
 * removes it after a week unused; losing it costs one rewrite, whose layers are then found).
 */
export function rewriteMemoName(config: Digest, epoch: number): string {
  return `rewrite-timestamp-${config.slice('sha256:'.length)}-${epoch}`;
}

/** Writes one layer's clamped tar into a blob and a new layer on `parent`. */
async function rewriteLayer(
  store: Store,
  diffDir: string,
  epoch: number,
  parent: Digest | undefined,
): Promise<{ diffId: Digest; size: number }> {
  const toBlob = new PassThrough();
  const toDir = new PassThrough();
  const tar = new PassThrough();
  tar.on('data', (c: Buffer) => {
    toBlob.write(c);
    toDir.write(c);
  });
  tar.on('end', () => {
    toBlob.end();
    toDir.end();
  });
  const ingest = await store.ingest();
  const staging = await store.makeStagingDir();
  try {
    const [written, , applied] = await Promise.all([
      writeLayerTar(diffDir, tar, { sourceDateEpoch: epoch }).then((r) => {
        tar.end();
        return r;
      }),
      pipeline(toBlob, ingest.stream),
      applyLayer(staging, toDir),
    ]);
    if (applied.diffId !== written.diffId) throw new Error('rewrite timestamps: the tar read back differs');
    await ingest.commit({ digest: written.diffId, size: written.size });
    const cid = chainId(parent, written.diffId);
    if ((await store.getLayer(cid)) === undefined) {
      await store.commitLayer(staging, { chainId: cid, diffId: written.diffId, parent, size: written.size });
      // The tar itself is the layer's truth (the diff dir keeps whole-second times only),
      // recorded as import does for a tar its dir cannot reproduce.
      await store.addCompressed(cid, {
        digest: written.diffId,
        size: written.size,
        mediaType: MediaType.ociLayer,
      });
    }
    return { diffId: written.diffId, size: written.size };
  } catch (err) {
    await ingest.abort();
    throw err;
  } finally {
    await store.discardStagingDir(staging);
  }
}
