/** A small image with real layer dirs, made by hand so layer views can be tested without a build. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../../core/oci/digest.js';
import { chainId, sha256 } from '../../../core/oci/digest.js';
import type { ImageConfig } from '../../../core/oci/types.js';
import type { Store } from '../../../store/store.js';

/** Three hand-made layers (base, COPY, RUN) and an image config naming them, tagged app:v1. */
export async function handMadeImage(store: Store) {
  const diffIds: Digest[] = [];
  const chains: Digest[] = [];
  let parent: Digest | undefined;
  for (const [i, files] of [
    { 'bin-busybox': 'x' },
    { 'hello.txt': 'hi\n' },
    { 'out.txt': 'made\n' },
  ].entries()) {
    const staged = await store.makeStagingDir();
    for (const [name, body] of Object.entries(files)) await writeFile(join(staged, name), body);
    const diffId = sha256(`layer ${i}`);
    const c = chainId(parent, diffId);
    await store.commitLayer(staged, { chainId: c, diffId, parent, size: 1000 * (i + 1) + 24 });
    diffIds.push(diffId);
    chains.push(c);
    parent = c;
  }
  const blob = await store.putBlob('pretend gzip bytes');
  await store.addCompressed(chains[1], {
    digest: blob.digest,
    size: blob.size,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  });
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [
      { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
      { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
      { created_by: 'COPY hello.txt /hello.txt # buildkit' },
      { created_by: 'RUN /bin/sh -c make # buildkit' },
    ],
  };
  const { digest: id } = await store.putBlob(JSON.stringify(config));
  await store.setRef('docker.io/library/app:v1', { config: id });
  return { id, diffIds, chains, blob: blob.digest };
}
