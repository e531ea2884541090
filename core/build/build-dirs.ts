/**
 * Each build's private directory, `<store>/builds/<id>/`: on the store's filesystem because
 * overlay needs its work dir beside the upper dir (a staging dir under layers/). It holds an
 * `owner` file; the next build removes directories whose owner died (SIGKILL, power loss),
 * first unmounting and deleting whatever runc state they still hold.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function makeBuildDir(storeRoot: string, buildId: string): Promise<string> {
  const dir = join(storeRoot, 'builds', buildId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'owner'), String(process.pid));
  return dir;
}

/** Removes build dirs left by dead processes; returns how many. Never touches live ones. */
export async function sweepDeadBuilds(storeRoot: string): Promise<number> {
  const base = join(storeRoot, 'builds');
  let n = 0;
  for (const name of await readdir(base).catch(() => [] as string[])) {
    const dir = join(base, name);
    const pid = Number((await readFile(join(dir, 'owner'), 'utf8').catch(() => '')).trim());
    if (pid > 0 && alive(pid)) continue;
    // Loaded only when a dead build left something (it brings runc and child_process).
    const { cleanupStale } = await import('../runtime/cleanup.js');
    await cleanupStale(dir);
    await rm(dir, { recursive: true, force: true });
    n++;
  }
  return n;
}
