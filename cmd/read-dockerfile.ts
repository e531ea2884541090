/** Reading the Dockerfile a command was pointed at (`-f FILE`, else CONTEXT/Dockerfile). */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { NotFoundError } from '../core/oci/errors.js';
import type { Io } from './io.js';

/**
 * Reads `path` (relative to the command's cwd) and names it as the user would: relative to
 * where they stand, or as given when absolute. NotFoundError when it cannot be read.
 */
export async function readDockerfile(path: string, io: Io): Promise<{ text: string; file: string }> {
  const abs = resolve(io.cwd, path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new NotFoundError(
      `read dockerfile: ${abs}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      { cause: err },
    );
  }
  return { text, file: isAbsolute(path) ? path : relative(io.cwd, abs) || path };
}
