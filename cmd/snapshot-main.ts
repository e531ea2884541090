/**
 * The entry of strata's V8 startup snapshot. `npm run build` (scripts/bundle.mjs) bundles it
 * with every snapshot-safe module of the CLI and runs it under `node --build-snapshot`; the
 * `strata` launcher (cmd/strata.sh) then starts Node from that snapshot. A command started
 * that way finds its modules resolved, compiled and evaluated, and the functions of the
 * everyday path (a rebuild: store reads, planning, cache lookups, explaining a miss) already
 * compiled to bytecode, because this script ran real builds while the snapshot was made
 * (`train`). Without it, loading and compiling the CLI was about half of a no-op rebuild.
 *
 * What the snapshot must not carry is anything of the process that made it: process.env, the
 * working directory, the pid and its start time (store/process-owner.ts: forgotten first
 * thing, since a pid may come round again), open handles. So
 * `main` runs with processIo() taken at start-up, and training uses its own temporary store
 * and environment and leaves nothing open. The launcher passes the dist directory as
 * the first argument: npm packages (undici, the xattr addon) are loaded from there on use.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startupSnapshot } from 'node:v8';
import { count, enableTimings } from '../core/progress/timings.js';
import { adoptDeferredCa } from '../core/registry/deferred-ca.js';
import { forgetOwner } from '../store/process-owner.js';
import type { Io } from './io.js';
import { processIo } from './io.js';
import { main } from './main.js';

declare global {
  /** Set at start-up; the bundle's `import.meta.url` and `require` of npm packages use it. */
  var __strataEntryUrl: string | undefined;
}

/**
 * Runs the everyday path once so its functions are compiled: `dir` holds a context and a
 * store in which scripts/bundle.mjs already ran a cold build with main.js (COPY writes through
 * the xattr addon, and a native addon cannot be in a snapshot). Here: a no-op rebuild, then
 * after a one-file change a dry run, which plans and explains the miss and runs nothing.
 */
async function train(dir: string): Promise<void> {
  let said = '';
  const write = (s: string | Uint8Array): boolean => {
    said += String(s);
    return true;
  };
  const sink = { write } as unknown as Io['stdout'];
  const io: Io = { stdout: sink, stderr: sink, env: { PATH: process.env.PATH }, cwd: dir };
  const ctx = join(dir, 'ctx');
  const args = ['build', '--root', join(dir, 'store'), '--progress', 'plain', '-t', 'train', ctx];
  for (const run of [args, [...args, '--dry-run']]) {
    if (run !== args) await appendFile(join(ctx, 'src', 'a.js'), '// changed\n');
    said = '';
    const code = await main(run, io);
    if (code !== 0) throw new Error(`${run.join(' ')} exited ${code}: ${said}`);
  }
}

startupSnapshot.setDeserializeMainFunction(() => {
  forgetOwner(); // the process that made the snapshot is not this one (process-owner.ts)
  const [node, dist, ...args] = process.argv;
  globalThis.__strataEntryUrl = pathToFileURL(join(dist, 'cmd', 'main.js')).href;
  process.argv = [node, join(dist, 'cmd', 'main.js'), ...args];
  adoptDeferredCa(process.env);
  if (process.env.STRATA_TIMINGS === '1') {
    enableTimings(process.stderr);
    count('snapshot');
  }
  main(args, processIo(), join(dist, 'cmd', 'main.js')).then((code) => {
    process.exitCode = code;
  });
});
// The snapshot is taken once the event loop is empty, so after training has finished.
const training = process.env.STRATA_SNAPSHOT_TRAINING;
if (training) {
  train(training).catch((err: unknown) => {
    process.emitWarning(`strata snapshot: training failed: ${(err as Error).stack ?? err}`);
  });
}
