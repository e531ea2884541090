/**
 * strata as an unprivileged user (issue 16): the same builder shape as builders.mjs, each
 * build run as the user `strata-rootless` (scripts/setup.sh makes it, with a /etc/subuid
 * range), so strata enters its own user namespace. Its rows go next to root strata's, with
 * the rootless/root ratio (target: at most 1.3x on cold, no-op and one change).
 *
 * The CLI is copied where that user can read it (the checkout may be under a 0700 home);
 * the user's stores load the same base tars root's do.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { measure } from './measure.mjs';
import { buildArgs, mustRun, REPO } from './strata-cli.mjs';

export const ROOTLESS_USER = 'strata-rootless';
/** The workloads the rootless rows cover (one with npm, one of many files, one of RUNs). */
export const ROOTLESS_WORKLOADS = new Set(['seed-app', 'files-10k', 'run-11']);

function userIds() {
  try {
    const uid = Number(execFileSync('id', ['-u', ROOTLESS_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', ROOTLESS_USER], { encoding: 'utf8' }).trim());
    const ranged = readFileSync('/etc/subuid', 'utf8')
      .split('\n')
      .some((l) => l.startsWith(`${ROOTLESS_USER}:`));
    return ranged ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** Copies dist/ and the runtime npm packages into `dir`, readable by everyone. */
function copyCli(dir) {
  mkdirSync(join(dir, 'dist'), { recursive: true });
  cpSync(join(REPO, 'dist/cmd'), join(dir, 'dist/cmd'), { recursive: true });
  cpSync(join(REPO, 'dist/chunks'), join(dir, 'dist/chunks'), { recursive: true });
  // The startup snapshot too, as root's strata has it: the launcher uses it only while
  // node.stamp keeps the mtime of the node that made it.
  if (existsSync(join(REPO, 'dist/snapshot')))
    cpSync(join(REPO, 'dist/snapshot'), join(dir, 'dist/snapshot'), {
      recursive: true,
      preserveTimestamps: true,
    });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8'));
  for (const [pkg, info] of Object.entries(lock.packages)) {
    if (!pkg.startsWith('node_modules/') || pkg.lastIndexOf('node_modules/') > 0 || info.dev) continue;
    if (existsSync(join(REPO, pkg)))
      cpSync(join(REPO, pkg), join(dir, pkg), { recursive: true, dereference: true });
  }
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  return join(dir, 'dist/cmd/strata');
}

export async function strataRootlessBuilder(work) {
  if (process.getuid?.() !== 0)
    return { unavailable: 'the bench must run as root to run strata as another user' };
  const ids = userIds();
  if (!ids)
    return { unavailable: `no user ${ROOTLESS_USER} with a /etc/subuid range (scripts/setup.sh makes one)` };
  const home = join(work, 'rootless');
  const baseRoot = join(home, 'base');
  const rootOf = (wl) => join(home, 'stores', wl.id);
  const imageName = (wl) => `strata-bench/${wl.id}:latest`;
  let cli;
  const asUser = (args) => [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', cli, ...args];
  const env = { ...process.env, HOME: home, USER: ROOTLESS_USER };
  delete env.XDG_RUNTIME_DIR;
  return {
    id: 'strata-rootless',
    label: `strata as ${ROOTLESS_USER} (rootless)`,
    only: ROOTLESS_WORKLOADS,
    async init(needs, bases) {
      chmodSync(work, 0o755);
      mkdirSync(join(home, 'stores'), { recursive: true });
      execFileSync('chown', ['-R', `${ids.uid}:${ids.gid}`, home]);
      cli = copyCli(join(work, 'rootless-cli'));
      await mustRun('setpriv', asUser(['load', '--root', baseRoot, '-i', bases.busybox]), { env });
      if (needs.has('node'))
        await mustRun('setpriv', asUser(['load', '--root', baseRoot, '-i', bases.node]), { env });
    },
    async prepareCold(wl) {
      await rm(rootOf(wl), { recursive: true, force: true });
      await mustRun('cp', ['-a', baseRoot, rootOf(wl)]);
    },
    build(wl, ctx) {
      return measure('setpriv', asUser(buildArgs(rootOf(wl), wl, ctx, imageName(wl))), { env });
    },
    exportTar(wl, file) {
      return measure('setpriv', asUser(['save', '--root', rootOf(wl), imageName(wl), '-o', file]), { env });
    },
    async cleanup() {
      await rm(home, { recursive: true, force: true });
      await rm(join(work, 'rootless-cli'), { recursive: true, force: true });
    },
  };
}
