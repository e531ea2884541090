/**
 * A full garbage collection at the points of a big build where most of what was allocated
 * is dead: between planning and the steps that run, before the tar of a COPY that wrote
 * many files anew is measured (exec-copy.ts), and every COLLECT_EVERY files of a big copy
 * (copy-into.ts) or entries of a layer tar (write-layer-tar.ts).
 *
 * Planning a COPY of a big context makes most of its garbage where V8 keeps it longest: the
 * walk's and the checksums' short-lived objects outlive a young-generation collection or two
 * while 100,000 entries are being made, the stat cache's text and the file lists compared to
 * explain a miss are large objects. V8 then sets its next full collection at a multiple of
 * a heap that is mostly that garbage, and a cold copy of 100,000 files ran for its whole
 * length over ~60 MB of it (heap 124-140 MB used, ~65 MB live). Collecting once here costs
 * ~30 ms at that size (peak RSS of a 100,000-file build, cold 277 -> 264 MB, one-file change
 * 254 -> 237 MB); below COLLECT_ABOVE it is not worth a pause. The pages V8 frees are not
 * given back at once, so a collection skipped at the end of planning shows in the peak: at
 * 100,000 files, ~200 MB instead of ~165 when planning left 61 MB (under a fixed 64 MB).
 *
 * Node has no public call for a collection without `--expose-gc`; setting the flag at run
 * time and taking `gc` from a new context is the usual way (jest's leak detection does the
 * same). The flag is set only when a collection is due, so small builds never set it.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** A heap this small is not worth a pause (a files-10k COPY ends planning at ~16 MB). */
const COLLECT_ABOVE = 32 << 20;
/**
 * After a collection, the next waits until the heap has grown past what it kept by a quarter
 * of that, and by at least COLLECT_GROWTH_MIN. At 100,000 files a cold COPY keeps ~30-45 MB:
 * a fixed 32 MB let its heap grow by that much before each collection (peak RSS ~153 MB),
 * 12 MB held it at ~132 MB. A quarter of what is kept spaces the collections out where
 * each is dear: at 1,000,000 files hundreds of MB are live, and a collection every 16,384
 * entries would cost more than it saves.
 */
const COLLECT_GROWTH_MIN = 12 << 20;

/** Files or entries a long loop (a big copy, a layer tar) handles between two calls. */
export const COLLECT_EVERY = 16_384;

let gc: (() => void) | undefined;
/** What the heap held right after the last collection here (0 before the first). */
let kept = 0;

/**
 * Collects garbage when the heap holds more than COLLECT_ABOVE bytes and has grown enough
 * past what the last collection here left (see COLLECT_GROWTH_MIN); says whether it did.
 * The threshold follows what is live, so a build whose live data is small (the context's
 * entries are compact) is still collected at the end of planning, and a check made every
 * few thousand files collects only once that much garbage has piled up again.
 */
export async function collectIfLarge(): Promise<boolean> {
  const used = getHeapStatistics().used_heap_size;
  if (used < COLLECT_ABOVE || used < kept + Math.max(COLLECT_GROWTH_MIN, kept / 4)) return false;
  if (gc === undefined) {
    // Loaded on use: node:vm is not vouched for in a startup snapshot (scripts/bundle.mjs).
    const { runInNewContext } = await import('node:vm');
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  kept = getHeapStatistics().used_heap_size;
  return true;
}
