/**
 * Reads the xattrs that belong in a content checksum, BuildKit's filter: drop `system.*`
 * and `security.*` except `security.capability`; also drop `trusted.overlay.*`, which is
 * overlay's bookkeeping (opaque markers) in layer dirs, not file content.
 *
 * Uses @napi-rs/xattr (a prebuilt N-API binding: no process per file). Its sync calls are
 * used on purpose: listxattr on a cached inode costs microseconds, less than a thread-pool
 * round trip. If the binding cannot load, or the filesystem has no xattr support, the
 * answer is "none": xattrs are rare in build contexts and must not stop a build.
 */
type XattrModule = {
  listAttributesSync(path: string): string[];
  getAttributeSync(path: string, name: string): Buffer | null;
};

const x: XattrModule | undefined = await import('@napi-rs/xattr').then(
  (m) => m as unknown as XattrModule,
  () => undefined,
);

export function keepXattr(name: string): boolean {
  if (name.startsWith('system.')) return false;
  if (name.startsWith('security.')) return name === 'security.capability';
  if (name.startsWith('trusted.overlay.')) return false;
  return true;
}

/** Sorted [name, base64 value] pairs of the kept xattrs of `path` (callers ask for files and dirs only, never symlinks). */
export function readXattrs(path: string): [string, string][] {
  if (!x) return [];
  let names: string[];
  try {
    names = x.listAttributesSync(path);
  } catch {
    return [];
  }
  if (names.length === 0) return [];
  const out: [string, string][] = [];
  for (const name of names.filter(keepXattr).sort()) {
    const v = getXattr(path, name);
    if (v) out.push([name, v.toString('base64')]);
  }
  return out;
}

/** One xattr's raw value, or undefined when absent or unsupported. */
export function getXattr(path: string, name: string): Buffer | undefined {
  if (!x) return undefined;
  try {
    return x.getAttributeSync(path, name) ?? undefined;
  } catch {
    return undefined;
  }
}
