/**
 * Crafted inputs for the hostile-input table: raw tars with any header a peer could send
 * (tar-stream writes what it is given, `..` and absolute names included), and `docker save`
 * archives (Engine 20.10 layout: manifest.json, <hex>.json config, <n>/layer.tar) around
 * them, with digests that match or that lie.
 */
import { createHash } from 'node:crypto';
import tar from 'tar-stream';

export interface RawEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  devmajor?: number;
  devminor?: number;
  /** Header size when it must differ from the data (a lie about the length). */
  size?: number;
}

export const hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A tar of exactly these entries, in this order. */
export async function rawTar(entries: readonly RawEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const data = e.data === undefined ? undefined : Buffer.from(e.data);
    const type = e.type ?? 'file';
    pack.entry(
      {
        name: e.name,
        type,
        mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        mtime: new Date(0),
        linkname: e.linkname,
        devmajor: e.devmajor,
        devminor: e.devminor,
        size: e.size ?? data?.length ?? 0,
      },
      // tar-stream takes no body for non-files; its typings want one, so give an empty one.
      type === 'file' ? (data ?? Buffer.alloc(0)) : Buffer.alloc(0),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface ArchiveOptions {
  tag?: string;
  /** diff_ids the config claims; default: the sha256 of each (uncompressed) layer. */
  diffIds?: string[];
  /** The config member's file name; default `<sha256 of config>.json` (a digest promise). */
  configName?: string;
}

/** A docker-save archive of one image made of `layers` (each a tar, plain or gzip). */
export async function dockerArchive(layers: readonly Buffer[], opts: ArchiveOptions = {}): Promise<Buffer> {
  const diffIds = opts.diffIds ?? layers.map((l) => `sha256:${hex(l)}`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: layers.map(() => ({ created: '2024-01-01T00:00:00Z' })),
    }),
  );
  const configName = opts.configName ?? `${hex(config)}.json`;
  const layerNames = layers.map((_, i) => `${String(i).padStart(2, '0')}/layer.tar`);
  const manifest = [{ Config: configName, RepoTags: [opts.tag ?? 'hostile:latest'], Layers: layerNames }];
  const members: RawEntry[] = [
    { name: 'manifest.json', data: JSON.stringify(manifest) },
    { name: configName, data: config },
    ...layers.map((l, i) => ({ name: layerNames[i], data: l })),
  ];
  return rawTar(members);
}
