/**
 * The least a walk of a context can cost, for comparing strata's own walk with it: every
 * entry listed and lstat'ed, in C (`find -printf` of inode, size, mtime and ctime, the fields
 * strata's stat cache keys on) and in Node (readdirSync + lstatSync with bigint times, which
 * strata uses, in one synchronous loop with no filtering and no records kept).
 * Resolves medians { findMs, nodeMs, entries }.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, median } from './measure.mjs';

const NODE_WALK = fileURLToPath(new URL('./walk-floor-node.mjs', import.meta.url));

export async function walkFloor(dir, runs) {
  const find = [];
  const node = [];
  let entries = 0;
  for (let i = 0; i < runs; i++) {
    const f = await measure('find', [dir, '-printf', '%i %s %T@ %C@\\n']);
    if (f.code !== 0) throw new Error(`find ${dir} failed: ${f.stderr}`);
    find.push(f.ms);
    entries = f.stdout.split('\n').length - 1;
    // The Node figure is the walk itself, timed inside the process (its start-up is not the walk).
    const n = await measure(process.execPath, [NODE_WALK, dir]);
    if (n.code !== 0) throw new Error(`node walk of ${dir} failed: ${n.stderr}`);
    node.push(Number(n.stdout.trim()));
  }
  return { findMs: median(find), nodeMs: median(node), entries, dir: join(dir) };
}
