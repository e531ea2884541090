/**
 * lstat that answers undefined instead of throwing (missing, not a directory on the way, or
 * unreadable): for callers to whom an unreadable path is simply not there. Never follows a
 * final symlink. One place for it, rather than a private copy per module.
 */
import { type BigIntStats, lstatSync, type Stats } from 'node:fs';

export function lstatQuiet(p: string): Stats | undefined;
export function lstatQuiet(p: string, bigint: true): BigIntStats | undefined;
export function lstatQuiet(p: string, bigint = false): Stats | BigIntStats | undefined {
  try {
    return lstatSync(p, { bigint });
  } catch {
    return undefined;
  }
}
