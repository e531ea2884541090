/** Reading the Dockerfile a command was pointed at (`-f FILE`, else CONTEXT/Dockerfile). */
import { basename, join } from 'node:path';
import { readDockerfile as readBuildDockerfile } from '../core/context/dockerfile-file.js';
import type { Io } from './io.js';

/**
 * Reads the Dockerfile as a build would (core/context/dockerfile-file.ts: `-f` as named, else
 * the context's own, confined to it and bounded) and names it as the user gave it: the `-f`
 * path as typed, else CONTEXT/<the name found> (`Dockerfile`, or the lowercase fallback).
 */
export async function readDockerfile(
  named: string | undefined,
  context: string,
  io: Io,
): Promise<{ text: string; file: string }> {
  const { path, text } = await readBuildDockerfile(context, named, io.cwd);
  return { text, file: named ?? join(context, basename(path)) };
}
