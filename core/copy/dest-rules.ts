/**
 * Docker's destination rules for COPY/ADD (BuildKit dispatchCopy + fsutil copy):
 * - a relative destination is joined onto WORKDIR;
 * - a destination ending in `/` (or `.`, `/.`) is a directory;
 * - several source arguments need such a directory destination;
 * - a wildcard that matched several paths copies them into a directory;
 * - a destination that already is a directory in the image is treated as one;
 * - otherwise a single file (or link) is written at the destination path itself, and a
 *   directory source copies its contents into the destination.
 */
import path from 'node:path';
import { InvalidInputError } from '../oci/errors.js';

export interface DestinationPlan {
  /** Absolute, clean path in the image (`/` is the root). */
  path: string;
  /** True when sources land inside `path` under their own names. */
  isDir: boolean;
}

export interface DestinationInput {
  dest: string;
  workdir: string;
  /** Source arguments as written (before wildcard expansion). */
  sourceArgs: number;
  /** Paths selected after expansion. */
  matches: number;
  /** Does the path exist as a directory in the image below this step? */
  existsAsDir?: (imagePath: string) => boolean;
}

export function planDestination(input: DestinationInput): DestinationPlan {
  const { dest, workdir } = input;
  if (dest === '') throw new InvalidInputError('copy: empty destination');
  const dirHint = dest.endsWith('/') || dest === '.' || dest.endsWith('/.');
  const joined = dest.startsWith('/')
    ? dest
    : path.posix.join(workdir.startsWith('/') ? workdir : `/${workdir}`, dest);
  const full = path.posix.normalize(joined).replace(/(.)\/+$/, '$1');
  if (input.sourceArgs > 1 && !dirHint) {
    throw new InvalidInputError(
      `copy: when using COPY with more than one source file, the destination must be a directory and end with a /: ${dest}`,
    );
  }
  const isDir = dirHint || full === '/' || input.matches > 1 || (input.existsAsDir?.(full) ?? false);
  return { path: full, isDir };
}
