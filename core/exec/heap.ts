/**
 * A full garbage collection at the points of a big build where most of what was allocated
 * is dead: between planning and the steps that run, and before the tar of a COPY that wrote
 * many files anew is measured (exec-copy.ts).
 *
 * Planning a COPY of a big context makes most of its garbage where V8 keeps it longest: the
 * walk's and the checksums' short-lived objects outlive a young-generation collection or two
 * while 100,000 entries are being made, the stat cache's text and the file lists compared to
 * explain a miss are large objects. V8 then sets its next full collection at a multiple of
 * a heap that is mostly that garbage, and a cold copy of 100,000 files ran for its whole
 * length over ~60 MB of it (heap 124-140 MB used, ~65 MB live). Collecting once here costs
 * ~30 ms at that size (peak RSS of a 100,000-file build, cold 277 -> 264 MB, one-file change
 * 254 -> 237 MB); below COLLECT_ABOVE it is not worth a pause.
 *
 * Node has no public call for a collection without `--expose-gc`; setting the flag at run
 * time and taking `gc` from a new context is the usual way (jest's leak detection does the
 * same). The flag is set only when a collection is due, so small builds never set it.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

const COLLECT_ABOVE = 64 << 20;

let gc: (() => void) | undefined;

/** Collects garbage when the heap holds more than COLLECT_ABOVE bytes; says whether it did. */
export async function collectIfLarge(): Promise<boolean> {
  if (getHeapStatistics().used_heap_size < COLLECT_ABOVE) return false;
  if (gc === undefined) {
    // Loaded on use: node:vm is not vouched for in a startup snapshot (scripts/bundle.mjs).
    const { runInNewContext } = await import('node:vm');
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  return true;
}
