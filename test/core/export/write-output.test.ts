/**
 * Archive and layout outputs as the attack on them: symlinks planted at the old predictable
 * temp names, at the destination, or as the layout's blobs/ dir are never written through;
 * the archive replaces the destination whole; a failed export leaves no temp file; a
 * directory as an archive destination is a clear input error.
 */
import { lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOciDir } from '../../../core/export/export-oci-dir.js';
import { writeArchiveFile } from '../../../core/export/write-output.js';
import { digestHex } from '../../../core/oci/digest.js';
import { InvalidInputError } from '../../../core/oci/errors.js';
import { Store } from '../../../store/index.js';
import { type HandMadeImage, makeStoreImage } from '../../e2e/helpers/store-image.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';

const tmp = useTempDirs('strata-write-output-');
let store: Store;
let image: HandMadeImage;

beforeAll(async () => {
  store = await Store.open(join(await tmp(), 'store'));
  image = await makeStoreImage(store, [async (d) => writeFile(join(d, 'hello'), 'hello\n')]);
});

async function scene(): Promise<{ out: string; victim: string; victimDir: string }> {
  const base = await tmp();
  const out = join(base, 'out');
  const victimDir = join(base, 'victim-dir');
  await mkdir(out);
  await mkdir(victimDir);
  const victim = join(base, 'victim');
  await writeFile(victim, 'precious\n');
  return { out, victim, victimDir };
}

const archive = { format: 'docker' as const, tags: ['x:1'] };

describe('archive outputs (--output type=docker|oci, save -o)', () => {
  it('do not follow a symlink planted at the old temp name F.tmp-<pid>', async () => {
    const { out, victim } = await scene();
    const file = join(out, 'app.tar');
    await symlink(victim, `${file}.tmp-${process.pid}`);
    await writeArchiveFile(store, image, file, archive);
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect((await readFile(file)).length).toBeGreaterThan(1024);
  });

  it('replace a symlink at F rather than writing through it', async () => {
    const { out, victim } = await scene();
    const file = join(out, 'app.tar');
    await symlink(victim, file);
    await writeArchiveFile(store, image, file, archive);
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect((await lstat(file)).isFile()).toBe(true);
  });

  it('leave no temp file and the old F when the export fails', async () => {
    const { out } = await scene();
    const file = join(out, 'app.tar');
    await writeFile(file, 'old archive');
    const broken = await makeStoreImage(store, [async (d) => writeFile(join(d, 'gone'), 'gone\n')]);
    await rm(store.diffPath(broken.chainIds[0]), { recursive: true, force: true });
    await rm(join(store.diffPath(broken.chainIds[0]), '..', 'layer.json'), { force: true });
    await expect(writeArchiveFile(store, broken, file, archive)).rejects.toThrow();
    expect(await readdir(out)).toEqual(['app.tar']);
    expect(await readFile(file, 'utf8')).toBe('old archive');
  });

  it('refuse a directory as F with a clear input error, touching nothing', async () => {
    const { out } = await scene();
    await writeFile(join(out, 'keep'), 'k');
    const err = await writeArchiveFile(store, image, out, archive).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toMatch(/is a directory/);
    expect(await readdir(out)).toEqual(['keep']);
  });
});

describe('the oci-dir exporter', () => {
  it('does not write blobs through a symlink planted as blobs/', async () => {
    const { out, victimDir } = await scene();
    await symlink(victimDir, join(out, 'blobs'));
    const err = await exportOciDir(store, image, out, { tags: ['x:1'] }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(await readdir(victimDir)).toEqual([]);
  });

  it('does not follow symlinks planted at the old blob and index temp names', async () => {
    const { out, victim } = await scene();
    await mkdir(join(out, 'blobs/sha256'), { recursive: true });
    const config = join(out, 'blobs/sha256', digestHex(image.config));
    await symlink(victim, `${config}.tmp-${process.pid}`);
    await symlink(victim, join(out, `index.json.tmp-${process.pid}`));
    await symlink(victim, join(out, `oci-layout.tmp-${process.pid}`));
    await exportOciDir(store, image, out, { tags: ['x:1'] });
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect((await lstat(config)).isFile()).toBe(true);
    expect(JSON.parse(await readFile(join(out, 'index.json'), 'utf8')).manifests).toHaveLength(1);
  });

  it('replaces a symlink at a blob name instead of trusting it', async () => {
    const { out, victim } = await scene();
    await mkdir(join(out, 'blobs/sha256'), { recursive: true });
    const config = join(out, 'blobs/sha256', digestHex(image.config));
    await symlink(victim, config);
    await exportOciDir(store, image, out, { tags: ['x:1'] });
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect((await lstat(config)).isFile()).toBe(true);
  });
});
