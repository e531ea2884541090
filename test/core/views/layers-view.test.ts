import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildReport } from '../../../core/exec/build-report.js';
import { findImage } from '../../../core/inspect/image-view.js';
import { formatLayers, layerRows } from '../../../core/views/index.js';
import { handMadeImage } from './image-fixture.js';
import { freshStore } from './plan-fixture.js';

describe('layerRows and formatLayers', () => {
  it('names each layer three ways, with its size, diff dir and lower chain', async () => {
    const store = await freshStore();
    const made = await handMadeImage(store);
    const img = await findImage(store, 'app:v1');
    const rows = await layerRows(store, img);
    expect(rows.map((r) => r.chainId)).toEqual(made.chains);
    expect(rows.map((r) => r.diffId)).toEqual(made.diffIds);
    // Without a build report the instruction comes from the history, skipping empty entries.
    expect(rows.map((r) => [r.instruction, r.instructionSource])).toEqual([
      ['/bin/sh -c #(nop) ADD file:abc in / ', 'history'],
      ['COPY hello.txt /hello.txt # buildkit', 'history'],
      ['RUN /bin/sh -c make # buildkit', 'history'],
    ]);
    expect(rows.map((r) => r.blobDigest)).toEqual([undefined, made.blob, undefined]);
    expect(rows.map((r) => r.size)).toEqual([1024, 2024, 3024]);
    expect(rows[2].lower).toEqual([made.chains[1], made.chains[0]]);
    expect(rows[2].lowerDiffPaths).toEqual([store.diffPath(made.chains[1]), store.diffPath(made.chains[0])]);
    // The paths are real: a reader can ls them and read the lower file.
    expect(await readdir(rows[1].diffPath)).toEqual(['hello.txt']);
    expect((await readFile(join(rows[2].layerPath, 'lower'), 'utf8')).trim()).toBe(
      `${made.chains[1].slice(7)}:${made.chains[0].slice(7)}`,
    );

    const text = formatLayers(img, rows);
    expect(text).toContain(`image app:v1 ${made.id}: 3 layers, bottom first\n`);
    expect(text).toContain('layer 1: COPY hello.txt /hello.txt # buildkit (from image history)\n');
    expect(text).toContain(
      `  diffID   ${made.diffIds[1]}\n  blob     ${made.blob}\n  chainID  ${made.chains[1]}\n`,
    );
    expect(text).toContain(`  diffID   ${made.diffIds[2]}\n  blob     not compressed yet\n`);
    expect(text).toContain('  size     2.02kB (2024 bytes uncompressed)\n');
    expect(text).toContain(
      `  diff     ${store.diffPath(made.chains[2])}\n  lower    ${store.diffPath(made.chains[1])}\n           ${store.diffPath(made.chains[0])}\n`,
    );
    expect(text).toContain('  lower    (none: bottom layer)\n');
  });

  it('prefers the instruction from the build report, and flags a layer missing from the store', async () => {
    const store = await freshStore();
    const made = await handMadeImage(store);
    const img = await findImage(store, 'app:v1');
    const report = {
      steps: [{ instruction: 'COPY hello.txt /hello.txt', chainId: made.chains[1] }],
    } as unknown as BuildReport;
    const rows = await layerRows(store, img, report);
    expect([rows[1].instruction, rows[1].instructionSource]).toEqual(['COPY hello.txt /hello.txt', 'build']);
    expect(rows[2].instructionSource).toBe('history');

    await store.removeLayer(made.chains[2]);
    const after = await layerRows(store, img, report);
    expect(after[2].present).toBe(false);
    expect(formatLayers(img, after)).toContain('  NOT IN STORE: no layer record for this chainID\n');
  });
});
