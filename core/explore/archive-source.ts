/**
 * ImageSources over files that were never imported: a `docker save` tar (manifest.json, or
 * an OCI archive with index.json only) and an OCI layout directory. Both go through the
 * loaders' own readers (ArchiveFile, LayoutDir: bounded, no-follow, verified against their
 * digests), and layers stream through tarEntries, which checks each against its diffID.
 */
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ArchiveFile, type ScratchFile } from '../export/archive-file.js';
import { LayoutDir, type LayoutReader } from '../export/layout-dir.js';
import { LoadBudget } from '../export/load-budget.js';
import { pickManifest, readVerified, readVerifiedJson } from '../export/load-oci-layout.js';
import { parseImageConfig } from '../image/read-image.js';
import { type Digest, isDigest, sha256 } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import type { DockerArchiveManifestEntry, ImageConfig, Index, Manifest } from '../oci/types.js';
import { type ImageSource, LAYER_LIMITS, type SourceLayer } from './image-source.js';
import { tarEntries } from './tar-entries.js';

interface Parts {
  id: Digest;
  configBytes: Buffer;
  layers: { open: () => Readable; blobDigest?: Digest; size?: number }[];
}

class FileSource implements ImageSource {
  readonly config: ImageConfig;
  readonly layers: readonly SourceLayer[];
  readonly id: Digest;
  readonly #parts: Parts;
  readonly #close: () => Promise<void>;

  constructor(
    readonly name: string,
    readonly kind: 'docker-archive' | 'oci-layout',
    parts: Parts,
    close: () => Promise<void>,
  ) {
    this.#parts = parts;
    this.#close = close;
    this.id = parts.id;
    this.config = parseImageConfig(parts.configBytes, `${name} config`);
    if (this.config.rootfs.diff_ids.length !== parts.layers.length)
      throw new InvalidInputError(
        `read ${name}: the config lists ${this.config.rootfs.diff_ids.length} layers, the manifest ${parts.layers.length}`,
      );
    this.layers = parts.layers.map((l, i) => ({
      diffId: this.config.rootfs.diff_ids[i],
      blobDigest: l.blobDigest,
      size: l.size,
    }));
  }

  entries(i: number) {
    return tarEntries(this.#parts.layers[i].open(), this.layers[i].diffId, `${this.name} layer ${i + 1}`);
  }

  close(): Promise<void> {
    return this.#close();
  }
}

/**
 * A `docker save` (or OCI archive) tar, plain or gzip; the first image it holds is read. A
 * gzip archive is decompressed to `scratch` (a tar needs seeking), at most 32 times its size.
 */
export async function openArchiveSource(
  file: string,
  name: string,
  scratch: ScratchFile,
): Promise<ImageSource> {
  const { size } = await stat(file);
  const archive = await ArchiveFile.open(file, { budget: LoadBudget.forArchive(size), scratch });
  try {
    const parts = archive.has('manifest.json')
      ? await dockerParts(archive, name)
      : await layoutParts(archive, name);
    return new FileSource(name, 'docker-archive', parts, () => archive.close());
  } catch (err) {
    await archive.close();
    throw err;
  }
}

async function dockerParts(archive: ArchiveFile, name: string): Promise<Parts> {
  const list = await archive.readJson<DockerArchiveManifestEntry[]>('manifest.json');
  const e = Array.isArray(list) ? list[0] : undefined;
  if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers))
    throw new InvalidInputError(`read ${name}: manifest.json names no image`);
  const configBytes = await archive.readMember(e.Config);
  const id = sha256(configBytes);
  const hex = /([a-f0-9]{64})(?:\.json)?$/.exec(e.Config)?.[1];
  if (hex !== undefined && `sha256:${hex}` !== id)
    throw new InvalidInputError(`read ${name}: ${e.Config} hashes to ${id}`);
  return {
    id,
    configBytes,
    layers: e.Layers.map((member) => {
      if (typeof member !== 'string')
        throw new InvalidInputError(`read ${name}: a bad layer in manifest.json`);
      const m = /blobs\/sha256\/([a-f0-9]{64})$/.exec(member);
      // Engine 25+ names layers by blob digest: read them verified; 20.10's <id>/layer.tar
      // promises nothing, and the diffID check at the end of the read covers it.
      const blobDigest = m ? (`sha256:${m[1]}` as Digest) : undefined;
      const open = blobDigest
        ? () => archive.openBlob({ digest: blobDigest }, LAYER_LIMITS.maxBytes)
        : () => archive.openMember(member);
      return { open, blobDigest, size: archive.memberSize(member) };
    }),
  };
}

/** An OCI image layout directory; with several images, the first index.json entry. */
export async function openLayoutSource(dir: string, name: string): Promise<ImageSource> {
  const reader = await LayoutDir.open(dir);
  return new FileSource(name, 'oci-layout', await layoutParts(reader, name), async () => {});
}

async function layoutParts(reader: LayoutReader, name: string): Promise<Parts> {
  const index = await reader.readJson<Index>('index.json');
  const top = Array.isArray(index?.manifests) ? index.manifests[0] : undefined;
  if (top === undefined) throw new InvalidInputError(`read ${name}: index.json lists no image`);
  const desc = await pickManifest(reader, top, 0);
  const manifest = await readVerifiedJson<Manifest>(reader, desc);
  if (!isDigest(manifest?.config?.digest) || !Array.isArray(manifest.layers))
    throw new InvalidInputError(`read ${name}: manifest ${desc.digest} has no config or layers`);
  const configBytes = await readVerified(reader, manifest.config);
  return {
    id: manifest.config.digest,
    configBytes,
    layers: manifest.layers.map((l) => {
      if (!isDigest(l?.digest))
        throw new InvalidInputError(`read ${name}: manifest ${desc.digest} has a bad layer`);
      const expected = { digest: l.digest, size: l.size };
      return {
        open: () => reader.openBlob(expected, LAYER_LIMITS.maxBytes),
        blobDigest: l.digest,
        size: l.size,
      };
    }),
  };
}
