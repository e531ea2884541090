/** Reading the Dockerfile a command was pointed at (`-f FILE`, `-f -`, else CONTEXT/Dockerfile). */
import { basename, join, resolve } from 'node:path';
import {
  readDockerfile as readBuildDockerfile,
  readDockerfileStream,
} from '../core/context/dockerfile-file.js';
import type { Io } from './io.js';

/** How a Dockerfile read from stdin is named in messages. */
export const STDIN_DOCKERFILE = '<stdin>';

/**
 * Reads the Dockerfile as a build would (core/context/dockerfile-file.ts: `-f` as named, else
 * the context's own, confined to it and bounded; `-f -` from stdin, bounded the same) and
 * names it as the user gave it: the `-f` path as typed, else CONTEXT/<the name found>
 * (`Dockerfile`, or the lowercase fallback). `path` is absolute; for stdin it is
 * `<context>/-`, a name that identifies the build's steps but is never read.
 */
export async function readDockerfile(
  named: string | undefined,
  context: string,
  io: Io,
): Promise<{ text: string; file: string; path: string }> {
  if (named === '-') {
    if (!io.stdin) throw new Error('read dockerfile: this command has no stdin');
    const text = await readDockerfileStream(io.stdin);
    return { text, file: STDIN_DOCKERFILE, path: join(resolve(io.cwd, context), '-') };
  }
  const { path, text } = await readBuildDockerfile(context, named, io.cwd);
  return { text, file: named ?? join(context, basename(path)), path };
}
