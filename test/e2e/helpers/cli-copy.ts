/**
 * A copy of the built CLI for tests that run strata as another user. The checkout may live
 * where that user cannot enter (root's home, a 0700 temp dir), so such a test runs a copy
 * in a world-readable directory of its own: the bundle (dist/cmd/main.js and dist/chunks,
 * see scripts/bundle.mjs), the npm packages it loads (the lockfile's non-dev entries) and a
 * package.json that makes the bundle an ES module.
 */

import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Copies the CLI into `dir` (made readable and enterable by everyone) and returns the path of
 * its entry, to run as `node <entry> ARGS`. `dir`'s ancestors must be enterable too (the
 * run's TMPDIR is, see test/global-setup.ts).
 */
export async function copyCliForOtherUsers(dir: string): Promise<string> {
  const main = join(REPO, 'dist/cmd/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'dist/cmd'), { recursive: true });
  await cp(main, join(dir, 'dist/cmd/main.js'));
  await cp(join(REPO, 'dist/chunks'), join(dir, 'dist/chunks'), { recursive: true });
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  const lock = JSON.parse(await readFile(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  for (const [pkg, info] of Object.entries(lock.packages)) {
    // A nested node_modules/a/node_modules/b comes along with a; optional platform
    // packages exist only for this machine's platform.
    if (!pkg.startsWith('node_modules/') || pkg.lastIndexOf('node_modules/') > 0 || info.dev) continue;
    if (!existsSync(join(REPO, pkg))) continue;
    await cp(join(REPO, pkg), join(dir, pkg), { recursive: true, dereference: true });
  }
  return join(dir, 'dist/cmd/main.js');
}
