import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { handMadeImage } from '../core/views/image-fixture.js';
import { freshStore } from '../core/views/plan-fixture.js';
import { strata } from '../helpers/cli.js';

describe('strata layers', () => {
  it('prints every layer with its names, size, diff dir and lower chain; the diff dir is real', async () => {
    const store = await freshStore();
    const made = await handMadeImage(store);
    const r = await strata(['layers', '--root', store.root, 'app:v1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `layer 2: RUN /bin/sh -c make # buildkit (from image history)\n  diffID   ${made.diffIds[2]}\n`,
    );
    expect(r.stdout).toContain(`  blob     ${made.blob}\n`);
    const diff = /layer 1: [^\n]*\n(?:.*\n)*? {2}diff {5}(\S+)\n/.exec(r.stdout)?.[1] ?? '';
    expect(await readdir(diff)).toEqual(['hello.txt']);
  });

  it('--json lists the layers bottom first', async () => {
    const store = await freshStore();
    const made = await handMadeImage(store);
    const r = await strata(['layers', '--root', store.root, '--json', made.id]);
    const v = JSON.parse(r.stdout);
    expect(v.id).toBe(made.id);
    expect(v.tags).toEqual(['app:v1']);
    expect(v.layers.map((l: { chainId: string }) => l.chainId)).toEqual(made.chains);
    expect(v.layers[0].blobDigest).toBeUndefined();
    expect(v.layers[2].lower).toEqual([made.chains[1], made.chains[0]]);
  });

  it('names exactly one image; an unknown one is exit 3', async () => {
    const store = await freshStore();
    expect((await strata(['layers', '--root', store.root])).code).toBe(2);
    const r = await strata(['layers', '--root', store.root, 'nope:1']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no such image: nope:1');
  });
});
