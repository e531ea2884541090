/**
 * A COPY of many small files rebuilt after a change links the unchanged files from its
 * previous layer and copies their tar entries from the previous layer's kept tar. Whatever
 * changed (content, a new file, a deleted file, a mode, an mtime), the layer must be the one
 * a --no-cache build of the same context makes: same diffID, and fsck agrees with the diff
 * dir. Needs root (the busybox base is imported as root-owned files).
 */
import { appendFile, chmod, link, mkdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CacheRecord } from '../../core/cache/records.js';
import { chainIds, type Digest } from '../../core/oci/digest.js';
import { Store } from '../../store/index.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();

// Above exec-copy's threshold (1,000 files, small on average) so the tar is kept.
const DIRS = 12;
const PER_DIR = 100;

async function makeContext(dir: string): Promise<void> {
  await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY data /data\n');
  for (let d = 0; d < DIRS; d++) {
    const sub = join(dir, 'data', `d${String(d).padStart(2, '0')}`);
    await mkdir(sub, { recursive: true });
    for (let f = 0; f < PER_DIR; f++) {
      await writeFile(
        join(sub, `f${String(f).padStart(3, '0')}.txt`),
        `file ${d}/${f}\n`.repeat(1 + (f % 7)),
      );
    }
  }
  await chmod(join(dir, 'data/d03/f010.txt'), 0o755);
  // A long name needs a PAX header: its bytes are copied along with the entry.
  await writeFile(join(dir, 'data/d04', `${'n'.repeat(120)}.txt`), 'long name\n');
}

describe('COPY rebuild: entries copied from the previous layer tar', () => {
  let root: string;
  let ctx: string;
  const diffIds = async (tag: string): Promise<Digest[]> =>
    JSON.parse(
      (await strataOk(['inspect', '--root', root, '--format', '{{json .RootFS.Layers}}', tag])).stdout,
    ) as Digest[];
  const build = async (tag: string, ...extra: string[]): Promise<string> => {
    await strataOk(['build', '--root', root, '--progress', 'plain', '-t', tag, ...extra, ctx]);
    const ids = await diffIds(tag);
    return ids[ids.length - 1];
  };
  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    ctx = await tmp();
    await makeContext(ctx);
    await importBusybox(root);
    const first = await build('t:warm');
    // The layer's tar is kept as a blob named by its diffID: what a rebuild copies from.
    await expect(stat(join(root, 'blobs/sha256', first.slice(7)))).resolves.toBeDefined();
  });

  /** Rebuilds after `change` (warm, linking from the last result), then with --no-cache. */
  const check = async (...changes: (() => Promise<void>)[]): Promise<void> => {
    let warm = '';
    for (const change of changes) {
      await change();
      warm = await build('t:warm');
    }
    const ids = await diffIds('t:warm');
    const layer = join(root, 'layers', chainIds(ids)[ids.length - 1].slice(7), 'diff/data');
    // The rebuild really linked the unchanged files from the previous layer.
    expect((await stat(join(layer, 'd06/f006.txt'))).nlink).toBeGreaterThan(1);
    const cold = await build('t:cold', '--no-cache');
    expect(warm).toBe(cold);
    // A build without a previous result keeps its tar; the next rebuild copies from it.
    await expect(stat(join(root, 'blobs/sha256', cold.slice(7)))).resolves.toBeDefined();
    const fsck = await strataOk(['fsck', '--root', root]);
    expect(fsck.stdout + fsck.stderr).not.toMatch(/mismatch|corrupt/i);
  };

  it('a changed file', async () => {
    await check(() => appendFile(join(ctx, 'data/d05/f050.txt'), 'changed\n'));
  });

  it('an added file', async () => {
    await check(() => writeFile(join(ctx, 'data/d07/f050a.txt'), 'new\n'));
  });

  it('a deleted file', async () => {
    await check(() => rm(join(ctx, 'data/d02/f099.txt')));
  });

  it('a mode change', async () => {
    await check(() => chmod(join(ctx, 'data/d09/f001.txt'), 0o600));
  });

  it('an mtime-only touch next to a real change (the touched file is written afresh)', async () => {
    await check(async () => {
      await utimes(join(ctx, 'data/d01/f001.txt'), 1_600_000_000, 1_600_000_000);
      await appendFile(join(ctx, 'data/d11/f011.txt'), 'changed\n');
    });
  });

  it('two rebuilds in a row (the second links a file changed by the first, not in the kept tar)', async () => {
    await check(
      () => appendFile(join(ctx, 'data/d08/f008.txt'), 'changed\n'),
      () => appendFile(join(ctx, 'data/d10/f010.txt'), 'changed\n'),
    );
  });

  it('the kept tar gone (gc): the rebuild writes every entry itself and keeps a new tar', async () => {
    const ids = await diffIds('t:cold');
    await rm(join(root, 'blobs/sha256', ids[ids.length - 1].slice(7)));
    await check(() => appendFile(join(ctx, 'data/d03/f003.txt'), 'changed\n'));
    const warm = await diffIds('t:warm');
    await expect(stat(join(root, 'blobs/sha256', warm[warm.length - 1].slice(7)))).resolves.toBeDefined();
  });

  it('more than 1/8 of the files changed: a new tar is kept', async () => {
    await check(async () => {
      for (let d = 0; d < 2; d++)
        for (let f = 0; f < PER_DIR; f++)
          await appendFile(join(ctx, `data/d1${d}/f${String(f).padStart(3, '0')}.txt`), 'bulk\n');
    });
    const warm = await diffIds('t:warm');
    await expect(stat(join(root, 'blobs/sha256', warm[warm.length - 1].slice(7)))).resolves.toBeDefined();
  });

  it('the rebuild names the same kept tar and flags every file linked from it, the changed one not', async () => {
    await appendFile(join(ctx, 'data/d06/f060.txt'), 'changed\n');
    await build('t:flags-1');
    const store = await Store.open(root);
    // The layer-files blob (core/copy/layer-files.ts, version 3): a header naming the kept
    // tar, then `target \t digest-hex \t mtime \t fromTar` rows.
    const latestDoc = async (): Promise<{ tar: string; files: [string, string, string, number][] }> => {
      const recs = (await store.listCacheRecords<CacheRecord>()).filter((r) => r.layerFiles);
      recs.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
      const text = (await store.readBlob(recs[recs.length - 1].layerFiles as Digest)).toString('utf8');
      const [header, ...rows] = text.split('\n');
      expect(header.split('\t')[0]).toBe('strata-layer-files v3');
      return {
        tar: header.split('\t')[1],
        files: rows.map((r) => {
          const [target, hex, mtime, fromTar] = r.split('\t');
          return [target, hex, mtime, Number(fromTar)];
        }),
      };
    };
    const kept = (await latestDoc()).tar;
    await appendFile(join(ctx, 'data/d02/f020.txt'), 'changed\n');
    await build('t:flags-2');
    const doc = await latestDoc();
    // Spliced from the tar the last build named, not a new one (one file in 1,201 changed).
    expect(doc.tar).toBe(kept);
    const flag = new Map(doc.files.map(([target, , , fromTar]) => [target, fromTar]));
    expect(flag.get('/data/d02/f020.txt')).toBe(0);
    expect(flag.get('/data/d06/f060.txt')).toBe(0); // changed by the build before: not that tar's inode
    expect(doc.files.filter((r) => r[3] === 1).length).toBe(DIRS * PER_DIR + 1 - 2);
  });

  it("a file whose link fails (gone from the previous layer) is copied, and not flagged as the tar's inode", async () => {
    await appendFile(join(ctx, 'data/d01/f011.txt'), 'changed\n');
    await build('t:warm'); // the result the next rebuild links from
    const ids = await diffIds('t:warm');
    const prevLayer = join(root, 'layers', chainIds(ids)[ids.length - 1].slice(7), 'diff');
    const gone = 'data/d09/f090.txt';
    const dirBefore = await stat(join(prevLayer, 'data/d09'));
    await rm(join(prevLayer, gone));
    await appendFile(join(ctx, 'data/d01/f010.txt'), 'changed\n');
    const warm = await build('t:warm');
    const warmIds = await diffIds('t:warm');
    const layer = join(root, 'layers', chainIds(warmIds)[warmIds.length - 1].slice(7), 'diff');
    // Copied from the context, so an inode of its own; its neighbours were linked.
    expect((await stat(join(layer, gone))).nlink).toBe(1);
    expect((await stat(join(layer, 'data/d09/f091.txt'))).nlink).toBeGreaterThan(1);
    // Repair the damaged layer (same bytes and metadata) so fsck below judges only the new one.
    await link(join(layer, gone), join(prevLayer, gone));
    await utimes(join(prevLayer, 'data/d09'), dirBefore.atime, dirBefore.mtime);
    const store = await Store.open(root);
    const recs = (await store.listCacheRecords<CacheRecord>()).filter((r) => r.layerFiles);
    recs.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
    const text = (await store.readBlob(recs[recs.length - 1].layerFiles as Digest)).toString('utf8');
    const row = text.split('\n').find((r) => r.startsWith(`/${gone}\t`));
    expect(row?.split('\t')[3]).toBe('0');
    const cold = await build('t:cold', '--no-cache');
    expect(warm).toBe(cold);
    const fsck = await strataOk(['fsck', '--root', root]);
    expect(fsck.stdout + fsck.stderr).not.toMatch(/mismatch|corrupt/i);
  });

  it('a changed file under a long (PAX) name, and the first and last files', async () => {
    await check(async () => {
      await appendFile(join(ctx, 'data/d04', `${'n'.repeat(120)}.txt`), 'changed\n');
      await appendFile(join(ctx, 'data/d00/f000.txt'), 'changed\n');
      await appendFile(join(ctx, 'data/d11/f099.txt'), 'changed\n');
    });
  });
});
