/**
 * Finding and reading the Dockerfile of a build.
 *
 * - Named with `-f FILE`: the user chose that host file, so it is read where it is (a
 *   symlink they name is theirs to follow).
 * - Not named: `Dockerfile` in the context, else `dockerfile` (BuildKit's dockerui falls back
 *   to the lowercase name the same way), resolved like any context path: a symlink that
 *   leads outside the context is refused, as BuildKit only ever reads it from the context
 *   it was sent. Without this, a context's `Dockerfile -> /etc/shadow` had its first line
 *   printed in the parse error.
 * - Either way it must be a regular file of at most MAX_DOCKERFILE bytes, read no-follow
 *   and fstat-checked (core/fs/read-bounded.ts): `/dev/zero` as a Dockerfile is an error,
 *   not a process that grows without bound.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { readFileBounded, readStreamBounded } from '../fs/read-bounded.js';
import { NotFoundError, SecurityError } from '../oci/errors.js';
import { resolveInContext } from './context-path.js';

/** 16 MiB: a 5,000-line Dockerfile is ~200 KB; anything near this is not a Dockerfile. */
export const MAX_DOCKERFILE = 16 * 2 ** 20;

/** The default names, in the order tried. */
const DEFAULT_NAMES = ['Dockerfile', 'dockerfile'];

export interface DockerfileText {
  /** Absolute path of the file read (symlinks resolved). */
  path: string;
  text: string;
}

/**
 * Reads the build's Dockerfile: `named` (a host path, absolute or relative to `cwd`) when
 * given, else the default names inside `contextDir`.
 * @throws NotFoundError when there is none; SecurityError when the context's Dockerfile is a
 *   symlink to outside the context; InvalidInputError when it is not a regular file or too big.
 */
export async function readDockerfile(
  contextDir: string,
  named: string | undefined,
  cwd = process.cwd(),
): Promise<DockerfileText> {
  if (named !== undefined) {
    const abs = path.resolve(cwd, named);
    const real = await realpath(abs).catch((err: NodeJS.ErrnoException) => {
      throw new NotFoundError(
        `read dockerfile: ${abs}: ${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)}`,
        { cause: err },
      );
    });
    return { path: real, text: await readText(real, abs) };
  }
  const root = await realpath(path.resolve(cwd, contextDir)).catch(() => path.resolve(cwd, contextDir));
  for (const name of DEFAULT_NAMES) {
    const r = resolveInContextOrRefuse(root, name);
    if (r.exists) return { path: r.abs, text: await readText(r.abs, path.join(root, name)) };
  }
  throw new NotFoundError(`read dockerfile: ${path.join(root, 'Dockerfile')}: no such file`);
}

/**
 * `-f -`: the Dockerfile from a stream (stdin), bounded like a file (MAX_DOCKERFILE), so a
 * pipe that never ends is an error, not a process that grows without bound.
 */
export async function readDockerfileStream(stream: NodeJS.ReadableStream): Promise<string> {
  return (await readStreamBounded(stream, MAX_DOCKERFILE, 'dockerfile from stdin')).toString('utf8');
}

function resolveInContextOrRefuse(root: string, name: string) {
  try {
    return resolveInContext(root, name, true, name);
  } catch (err) {
    if (!(err instanceof SecurityError)) throw err;
    throw new SecurityError(
      `read dockerfile: ${path.join(root, name)} is a symlink that points outside the build context; name the file with -f if you mean it`,
      { cause: err },
    );
  }
}

async function readText(real: string, shown: string): Promise<string> {
  const bytes = await readFileBounded(real, MAX_DOCKERFILE, `dockerfile ${shown}`);
  return bytes.toString('utf8');
}
