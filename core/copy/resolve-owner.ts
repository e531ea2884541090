/**
 * `--chown=<user>[:<group>]` to numeric ids (formats.md 1.11, BuildKit `readUser`):
 * numbers are used as they are; names are looked up in the image's /etc/passwd and
 * /etc/group, read through the layer stack (whiteouts honoured, symlinks resolved inside
 * the image root, never out of the layer dirs). With only a user: a numeric uid gives the
 * same number as gid, a name gives that user's primary group from /etc/passwd.
 */
import { LayerStack } from '../fs/layer-stack.js';
import { MAX_ACCOUNT_FILE, readFileBoundedSync } from '../fs/read-bounded.js';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';
import type { Owner } from './copy-into.js';

const NUMERIC = /^\d+$/;

/**
 * @param layerDiffDirsTopFirst the destination image's layer diff dirs, newest first.
 * @throws NotFoundError when a name is missing (or the file holding it is); InvalidInputError for a malformed spec.
 */
export async function resolveOwner(layerDiffDirsTopFirst: readonly string[], spec: string): Promise<Owner> {
  const parts = spec.split(':');
  if (parts.length > 2 || parts[0] === '' || parts[1] === '') {
    throw new InvalidInputError(`resolve owner: invalid --chown value ${JSON.stringify(spec)}`);
  }
  const [user, group] = parts;
  const view = new LayerStack(layerDiffDirsTopFirst);
  let uid: number;
  let gid: number;
  if (NUMERIC.test(user)) {
    uid = toId(user, spec);
    gid = uid;
  } else {
    const row = findRow(view, 'passwd', user, spec);
    uid = toId(row[2], spec);
    gid = toId(row[3], spec);
  }
  if (group !== undefined) {
    gid = NUMERIC.test(group) ? toId(group, spec) : toId(findRow(view, 'group', group, spec)[2], spec);
  }
  return { uid, gid };
}

function toId(s: string | undefined, spec: string): number {
  const n = Number(s);
  if (s === undefined || !NUMERIC.test(s) || n > 0xffffffff) {
    throw new InvalidInputError(`resolve owner: bad id ${JSON.stringify(s)} for --chown=${spec}`);
  }
  return n;
}

/** The colon-split line of /etc/<file> whose first field is `name`. */
function findRow(view: LayerStack, file: 'passwd' | 'group', name: string, spec: string): string[] {
  const r = view.resolveSync(`etc/${file}`, true, `/etc/${file}`);
  const hit = r.exists ? view.lookup(r.rel) : undefined;
  const what = file === 'passwd' ? 'user' : 'group';
  const text = hit?.st.isFile() ? readFileBoundedSync(hit.abs, MAX_ACCOUNT_FILE, `/etc/${file}`) : undefined;
  if (text === undefined) {
    throw new NotFoundError(
      `resolve owner: ${what} ${JSON.stringify(name)} for --chown=${spec}: no /etc/${file} in the image`,
    );
  }
  for (const line of text.toString('utf8').split('\n')) {
    if (line.startsWith('#')) continue;
    const f = line.split(':');
    if (f[0] === name && f.length >= (file === 'passwd' ? 4 : 3)) return f;
  }
  throw new NotFoundError(
    `resolve owner: ${what} ${JSON.stringify(name)} for --chown=${spec}: not found in /etc/${file}`,
  );
}
