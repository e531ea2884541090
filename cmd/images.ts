/**
 * `strata images`: the tagged images in the store, like `docker images`, with nerdctl's
 * PLATFORM column: the platform of a single image, every platform of a multi-platform name
 * (a `--platform a,b` build, a loaded or pulled OCI index), comma-separated. SIZE is that of
 * the image a platform-blind reader gets (the ref's `config`).
 */
import { refPlatforms } from '../core/image/platform-image.js';
import { familiarRef } from '../core/image/reference.js';
import { humanSize, imageSize, timeAgo } from '../core/inspect/image-view.js';
import type { ImageConfig } from '../core/oci/types.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseFlags('images', args, {
    ...ROOT_OPTION,
    quiet: { type: 'boolean', short: 'q' },
    'no-trunc': { type: 'boolean' },
  });
  const store = await openStore(values.root, io);
  const refs = await store.listRefs();
  const rows: string[][] = [];
  for (const r of refs.sort((a, b) => a.name.localeCompare(b.name))) {
    const name = familiarRef(r.name);
    const at = name.lastIndexOf(':');
    const config = await store.readJsonBlob<ImageConfig>(r.target.config);
    const id = values['no-trunc'] ? r.target.config : r.target.config.slice(7, 19);
    if (values.quiet) {
      io.stdout.write(`${id}\n`);
      continue;
    }
    rows.push([
      name.slice(0, at),
      name.slice(at + 1),
      id,
      config.created ? timeAgo(config.created) : 'N/A',
      [...(await refPlatforms(store, r.target)).keys()].sort().join(','),
      humanSize(await imageSize(store, config)),
    ]);
  }
  if (!values.quiet)
    io.stdout.write(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'PLATFORM', 'SIZE'], rows));
  return 0;
}

export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] + 3))).join('');
  return `${[head, ...rows].map(line).join('\n')}\n`;
}
