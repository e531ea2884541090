/**
 * SOURCE_DATE_EPOCH clamps the mtimes of a layer's files in its diff dir itself, before the
 * layer is measured. The diff dir then re-tars to the same bytes anywhere (export, push,
 * fsck) without anyone having to remember which epoch the build used.
 */
import { lstatSync, lutimesSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Sets every entry under `dir` newer than `epoch` (seconds) to `epoch`; children before parents. */
export function clampMtimes(dir: string, epoch: number): number {
  let changed = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      if (st.mtimeMs / 1000 > epoch) {
        lutimesSync(p, epoch, epoch);
        changed++;
      }
    }
  };
  walk(dir);
  return changed;
}
