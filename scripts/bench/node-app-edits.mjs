/**
 * The edits the demo makes to its copy of samples/node-app: a dependency added to both
 * package.json and package-lock.json, the way `npm install is-number@7.0.0` would, so
 * `npm ci` accepts the pair. The lock entry is written from fixed data (name, version,
 * integrity from the registry's metadata) so the edit itself needs no network.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A small package with no dependencies, not already in the sample's tree. */
export const NEW_DEPENDENCY = {
  name: 'is-number',
  range: '^7.0.0',
  entry: {
    version: '7.0.0',
    integrity:
      'sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==',
    license: 'MIT',
    engines: { node: '>=0.12.0' },
  },
};

const sortKeys = (obj, keepFirst = '') =>
  Object.fromEntries(
    Object.entries(obj).sort(([a], [b]) =>
      a === keepFirst ? -1 : b === keepFirst ? 1 : a < b ? -1 : a > b ? 1 : 0,
    ),
  );

/** Adds NEW_DEPENDENCY to `app`/package.json and `app`/package-lock.json (idempotent). */
export function addDependency(app) {
  const { name, range, entry } = NEW_DEPENDENCY;
  const pkgFile = join(app, 'package.json');
  const lockFile = join(app, 'package-lock.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  pkg.dependencies = sortKeys({ ...pkg.dependencies, [name]: range });
  writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  const root = lock.packages[''];
  root.dependencies = sortKeys({ ...root.dependencies, [name]: range });
  lock.packages = sortKeys({ ...lock.packages, [`node_modules/${name}`]: entry }, '');
  writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
}

/**
 * How many distinct tarballs `npm ci` needs for `app`'s lock: one per name@version (a
 * package nested twice at one version is fetched once).
 */
export function countLockTarballs(app) {
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
  const ids = new Set();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || entry.link) continue;
    ids.add(`${path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${entry.version}`);
  }
  return ids.size;
}
