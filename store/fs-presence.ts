/** Presence checks and idempotent removal, treating "not there" as an answer, not an error. */
import { stat, unlink } from 'node:fs/promises';
import { isNotFound } from './fs-errors.js';

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** unlink that reports whether the file was there. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
