import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { release } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { idMode } from '../fs/id-mode.js';
import { InternalError } from '../oci/errors.js';

const run = promisify(execFile);

/**
 * The kernel copies mount(2)'s option string into one page; keep a margin for the
 * options mount(8) may add.
 */
const MAX_OPTIONS = 4096 - 256;

/** The kernel caps an overlay at 500 lower layers (OVL_MAX_STACK). */
export const MAX_LOWERS = 500;

export interface OverlayOptions {
  /** Top-most first; empty means an empty root (FROM scratch). */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  target: string;
  /** A private dir strata may write to (empty lower, short links). */
  scratchDir: string;
}

/**
 * Overlay features that would make the upper dir unusable as a layer diff, switched off
 * wherever the kernel knows them: metacopy (copy-up without data), redirect_dir (renamed
 * lower dirs become xattr redirects instead of copies), index.
 */
function featureOptions(): string[] {
  const out: string[] = [];
  // In a user namespace overlay may not touch trusted.* xattrs: `userxattr` (Linux 5.11+)
  // keeps its markers in user.overlay.*, and then redirect_dir=off is refused (it means
  // "follow" there); nofollow neither makes nor follows redirects, which is what off does
  // as root.
  const userns = idMode().kind !== 'root';
  if (userns) out.push('userxattr');
  for (const name of ['index', 'metacopy', 'redirect_dir']) {
    if (!existsSync(`/sys/module/overlay/parameters/${name}`)) continue;
    out.push(userns && name === 'redirect_dir' ? 'redirect_dir=nofollow' : `${name}=off`);
  }
  // `volatile` (Linux 5.10+) skips the syncfs of the upper filesystem on unmount, which cost
  // hundreds of milliseconds per RUN on a busy disk. A crash mid-step loses only that step's
  // upper dir, which is thrown away and rebuilt anyway; layer dirs are never fsynced file by
  // file (the store's diffID check, fsck, finds a torn one).
  if (kernelAtLeast(5, 10)) out.push('volatile');
  return out;
}

function kernelAtLeast(major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release());
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

/** Characters mount option parsing treats specially (overlay escapes ':' , mount(8) splits on ','). */
function needsLink(p: string): boolean {
  return /[:,\\\s]/.test(p);
}

/**
 * Mounts an overlay of `lowerDirs` (top-most first) with `upperDir`/`workDir` at `target`.
 *
 * Deep stacks: the option string must fit a page. When the absolute paths would not (or
 * contain characters the option syntax reserves) each dir gets a short symlink in
 * `scratchDir/l` and `mount` runs with that as its cwd, so the options read
 * `lowerdir=0:1:2,...` (Docker's overlay2 does the same with its `l/` links and chdir).
 *
 * @throws InternalError when the mount fails (the caller may fall back to copying)
 */
export async function mountOverlay(o: OverlayOptions): Promise<void> {
  let lowers = o.lowerDirs.map((d) => path.resolve(d));
  if (lowers.length > MAX_LOWERS) {
    throw new InternalError(
      `mount overlay: ${lowers.length} lower layers exceed the kernel limit of ${MAX_LOWERS}`,
    );
  }
  if (lowers.length === 0) {
    const empty = path.join(o.scratchDir, 'empty');
    await mkdir(empty, { recursive: true, mode: 0o755 });
    lowers = [empty];
  }
  let upper = path.resolve(o.upperDir);
  let work = path.resolve(o.workDir);
  const extra = featureOptions();
  const opts = (l: string[], u: string, w: string) =>
    [`lowerdir=${l.join(':')}`, `upperdir=${u}`, `workdir=${w}`, ...extra].join(',');
  let options = opts(lowers, upper, work);
  let cwd: string | undefined;
  if (options.length > MAX_OPTIONS || [...lowers, upper, work].some(needsLink)) {
    cwd = path.join(o.scratchDir, 'l');
    await mkdir(cwd, { recursive: true, mode: 0o700 });
    const names = await Promise.all(
      lowers.map(async (d, i) => {
        const name = i.toString(36);
        await symlink(d, path.join(cwd as string, name));
        return name;
      }),
    );
    // Upper case: never produced by toString(36), so no clash with a lower's name.
    await symlink(upper, path.join(cwd, 'U'));
    await symlink(work, path.join(cwd, 'W'));
    lowers = names;
    upper = 'U';
    work = 'W';
    options = opts(lowers, upper, work);
    if (options.length > MAX_OPTIONS) {
      throw new InternalError(
        `mount overlay: ${o.lowerDirs.length} lower layers do not fit the mount options`,
      );
    }
  }
  try {
    await run(
      'mount',
      ['-t', 'overlay', 'overlay', '-o', options, path.resolve(o.target)],
      cwd ? { cwd } : {},
    );
  } catch (err) {
    const msg = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
    throw new InternalError(`mount overlay at ${o.target}: ${msg}`, { cause: err });
  }
}
