/**
 * One table of hostile tar headers, run against every reader of outside tars: the layer
 * reader (pull, load, import), `strata load`'s archive indexer on a plain and on a gzip
 * archive, and ADD's archive extraction. Each must refuse each case with the same error,
 * quickly: the negative PAX size once looped forever in the indexer (issue 13, defect 7).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openContext } from '../../../core/context/index.js';
import { addInto } from '../../../core/copy/add-into.js';
import { applyLayer } from '../../../core/diff/apply-layer.js';
import { ArchiveFile } from '../../../core/export/archive-file.js';
import { LoadBudget } from '../../../core/export/load-budget.js';
import { InvalidInputError } from '../../../core/oci/errors.js';
import { Store } from '../../../store/index.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';
import { HOSTILE_HEADERS } from '../../helpers/hostile-tar-headers.js';

const tempDir = useTempDirs();

async function indexArchive(bytes: Buffer): Promise<void> {
  const dir = await tempDir();
  const file = join(dir, 'archive.tar');
  await writeFile(file, bytes);
  const store = await Store.open(join(dir, 'store'));
  const budget = LoadBudget.forArchive(bytes.length);
  const archive = await ArchiveFile.open(file, { budget, scratch: () => store.createScratchFile() });
  await archive.close();
}

const READERS: [string, (tar: Buffer) => Promise<unknown>][] = [
  ['layer reader (applyLayer)', async (tar) => applyLayer(await tempDir(), Readable.from([tar]))],
  ['archive indexer, plain tar (strata load)', (tar) => indexArchive(tar)],
  ['archive indexer, gzip tar (strata load)', (tar) => indexArchive(gzipSync(tar))],
  [
    'ADD archive extraction',
    async (tar) => {
      const ctx = await tempDir();
      await writeFile(join(ctx, 'vendor.tar'), tar);
      const set = await (await openContext(ctx)).resolveSources(['vendor.tar']);
      return addInto(await tempDir(), set, '/opt/', { workdir: '/' });
    },
  ],
];

describe.each(READERS)('%s', (_reader, read) => {
  it.each(HOSTILE_HEADERS.map((c) => [c.name, c] as const))(
    'refuses: %s',
    { timeout: 10_000 },
    async (_n, c) => {
      const err = await read(c.tar()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(String(err)).toMatch(c.error);
    },
  );
});
