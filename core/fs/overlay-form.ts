/**
 * The overlay form of a layer's diff dir, and the few primitives Node lacks to make it.
 *
 * A deleted path is a character device 0:0 with the deleted name; an opaque directory has
 * xattr `trusted.overlay.opaque=y`. Node has no xattr or mknod API: xattrs go through
 * `@napi-rs/xattr` (prebuilt N-API binary, no install script; its calls do not follow
 * symlinks), device nodes through the coreutils `mknod` binary. Both are kept rare: callers
 * ask for xattrs only on directories and executables, and whiteouts are hard links to one
 * template device per operation (the kernel's overlayfs shares whiteout inodes the same
 * way since 5.8), so a layer with 1,000 deletions spawns `mknod` once.
 */
import type { BigIntStats, Stats } from 'node:fs';
import { linkSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { InternalError, InvalidInputError, NoSpaceError, RuntimeMissingError } from '../oci/errors.js';
import { hasSysAdmin, idMode } from './id-mode.js';

type Xattr = typeof import('@napi-rs/xattr');
let xattrBinding: Xattr | undefined;
/**
 * The native binding, loaded on first use: loading it costs ~9 ms, and most commands (every
 * fully cached build among them) never touch an xattr. On glibc Linux the platform package
 * is required directly: the package's own loader (its index.js) first tries a path that is
 * not there and fails, then resolves the same package (~4 ms against ~1.4 ms, paid by
 * every build that makes a layer, whose tar writer asks directories for the opaque xattr).
 * Anywhere else, or if that fails, the package's loader decides as before.
 */
function xattr(): Xattr {
  if (xattrBinding) return xattrBinding;
  const req = createRequire(import.meta.url);
  const { platform, arch } = process;
  if (platform === 'linux' && (arch === 'x64' || arch === 'arm64') && isGlibc()) {
    try {
      xattrBinding = req(`@napi-rs/xattr-linux-${arch}-gnu`) as Xattr;
      return xattrBinding;
    } catch {
      // not installed beside it: the package's loader finds it or says why
    }
  }
  xattrBinding = req('@napi-rs/xattr') as Xattr;
  return xattrBinding;
}

/** glibc, by the test the package's loader makes first (ldd is a glibc or musl script). */
function isGlibc(): boolean {
  try {
    const ldd = readFileSync('/usr/bin/ldd', 'latin1');
    return !ldd.includes('musl') && /GNU C Library|glibc/i.test(ldd);
  } catch {
    return false;
  }
}

export const OPAQUE_XATTR = 'trusted.overlay.opaque';
export const USER_OPAQUE_XATTR = 'user.overlay.opaque';

/**
 * The opaque xattr this process writes: the trusted form as real root; the user form
 * otherwise, which is the only one a user namespace (or root without CAP_SYS_ADMIN, in a
 * default container) may set, and the one overlay reads when mounted in a user namespace
 * with `userxattr` (core/runtime/overlay.ts). Readers accept both.
 */
export function opaqueXattr(): string {
  return idMode().kind === 'root' && hasSysAdmin() ? OPAQUE_XATTR : USER_OPAQUE_XATTR;
}
export const CAPABILITY_XATTR = 'security.capability';
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * The error for a file whose name starts with `.wh.` where it would enter a layer as
 * content: in a layer tar such a name means "delete", to Docker, containerd and strata
 * alike, so a file so named cannot be stored (an ADD archive holding `etc/.wh.passwd`
 * would delete the image's /etc/passwd). Refused wherever content becomes a layer.
 */
export function reservedName(verb: string, rel: string): InvalidInputError {
  return new InvalidInputError(
    `${verb}: ${JSON.stringify(rel)}: a name starting with ${WHITEOUT_PREFIX} means "deleted" in an image layer, so no layer can hold this file; rename it`,
  );
}

/** True for an overlay whiteout: a character device with device number 0:0 (plain or bigint stats). */
export function isWhiteout(st: Stats | BigIntStats): boolean {
  return st.isCharacterDevice() && (st.rdev === 0 || st.rdev === 0n);
}

/** True when the directory carries an overlay opaque xattr (trusted or userxattr form). */
export function isOpaqueDir(p: string): boolean {
  const names = listXattrs(p);
  if (names.length === 0) return false;
  for (const n of [OPAQUE_XATTR, USER_OPAQUE_XATTR]) {
    if (names.includes(n) && getXattr(p, n)?.toString() === 'y') return true;
  }
  return false;
}

export function listXattrs(p: string): string[] {
  try {
    return xattr().listAttributesSync(p);
  } catch (err) {
    if (isUnsupported(err)) return [];
    throw err;
  }
}

export function getXattr(p: string, name: string): Buffer | null {
  try {
    return xattr().getAttributeSync(p, name);
  } catch (err) {
    if (isUnsupported(err)) return null;
    throw err;
  }
}

export function setXattr(p: string, name: string, value: Buffer | string): void {
  xattr().setAttributeSync(p, name, value);
}

export function removeXattr(p: string, name: string): void {
  xattr().removeAttributeSync(p, name);
}

function isUnsupported(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? err);
  // ENODATA / ENOTSUP surface as messages from the native binding.
  return /ENODATA|No data available|not supported|ENOTSUP|EOPNOTSUPP/i.test(msg);
}

/** Linux dev_t split (glibc `major()`/`minor()`), exact for numbers up to 2^53. */
export function devMajor(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
export function devMinor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff & 0xfffff);
}

/** Creates a device node or fifo with the `mknod` binary (Node has no mknod). */
export async function mknod(
  p: string,
  kind: 'c' | 'b' | 'p',
  major = 0,
  minor = 0,
  mode = 0o600,
): Promise<void> {
  const args = ['-m', (mode & 0o7777).toString(8), p, kind];
  if (kind !== 'p') args.push(String(major), String(minor));
  try {
    // node:child_process is loaded here, on use: it costs 5 ms of every start-up otherwise.
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    await promisify(execFile)('mknod', args);
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '');
    if (/No space left/.test(stderr))
      throw new NoSpaceError(`create device ${p}: no space left`, { cause: err });
    if (kind === 'c' && major === 0 && minor === 0) {
      // Root, or a user namespace, may make overlay's 0:0 whiteout, but not on every
      // filesystem: not on overlayfs itself, which is what a container's own root is.
      throw new RuntimeMissingError(
        `create whiteout ${p}: the kernel refused a 0:0 device on this filesystem (${stderr.trim()}); keep the store on a real filesystem (in a container: a volume, e.g. docker run -v strata:/home/strata/.local/share/strata, README "Rootless and CI")`,
        { cause: err },
      );
    }
    throw new InternalError(`create device ${p}: mknod failed (root needed): ${stderr.trim()}`, {
      cause: err,
    });
  }
}

/**
 * Hands out whiteout devices as hard links to one template char device 0:0 kept beside
 * (not inside) the target root, so it never shows up in the layer. Call dispose() at the end.
 */
export class WhiteoutMaker {
  #template: string | null = null;
  readonly #dir: string;
  constructor(root: string) {
    this.#dir = path.dirname(path.resolve(root));
  }

  /** Creates `p` as a whiteout. `p`'s parent must exist and `p` must not. */
  async make(p: string): Promise<void> {
    if (this.#template === null) {
      const t = path.join(
        this.#dir,
        `.strata-whiteout-${process.pid}-${Math.random().toString(36).slice(2)}`,
      );
      await mknod(t, 'c', 0, 0, 0);
      this.#template = t;
    }
    try {
      linkSync(this.#template, p);
    } catch (err) {
      // Too many links or a filesystem without hard links: fall back to a fresh node.
      if ((err as NodeJS.ErrnoException).code === 'EMLINK') await mknod(p, 'c', 0, 0, 0);
      else throw err;
    }
  }

  dispose(): void {
    if (this.#template !== null) rmSync(this.#template, { force: true });
    this.#template = null;
  }
}
