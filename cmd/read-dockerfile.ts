/** Reading the Dockerfile a command was pointed at (`-f FILE`, else CONTEXT/Dockerfile). */
import { isAbsolute, relative } from 'node:path';
import { readDockerfile as readBuildDockerfile } from '../core/context/dockerfile-file.js';
import type { Io } from './io.js';

/**
 * Reads the Dockerfile as a build would (core/context/dockerfile-file.ts: `-f` as named, else
 * the context's own, confined to it and bounded) and names it as the user would: relative to
 * where they stand, or as given when absolute.
 */
export async function readDockerfile(
  named: string | undefined,
  context: string,
  io: Io,
): Promise<{ text: string; file: string }> {
  const { path, text } = await readBuildDockerfile(context, named, io.cwd);
  const shown = named ?? relative(io.cwd, path);
  return { text, file: named !== undefined && isAbsolute(named) ? named : relative(io.cwd, path) || shown };
}
