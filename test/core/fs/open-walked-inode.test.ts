/**
 * openWalkedSync checks the descriptor with number stats (a bigint fstat costs fourteen
 * BigInts and four Dates a call, on every file a cold COPY reads), except for an inode past
 * 2^53, which a double rounds: two files whose inodes differ only past the double's
 * precision would pass for the same. Such inodes (overlayfs with xino) cannot be made here,
 * so fstat is wrapped to report one for the descriptors of one name.
 */
import type { BigIntStats, Stats } from 'node:fs';
import { closeSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openWalkedSync } from '../../../core/fs/open-walked.js';
import { InvalidInputError } from '../../../core/oci/errors.js';

const HUGE = 2n ** 60n + 7n;

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const huge = new Set<number>();
  const openSync = ((p: string, ...rest: unknown[]) => {
    const fd = (fs.openSync as (...a: unknown[]) => number)(p, ...rest);
    if (String(p).endsWith('/huge-inode')) huge.add(fd);
    else huge.delete(fd);
    return fd;
  }) as typeof fs.openSync;
  const fstatSync = ((fd: number, o?: { bigint?: boolean }) => {
    const st = fs.fstatSync(fd, o as { bigint: true }) as Stats | BigIntStats;
    if (!huge.has(fd)) return st;
    if (o?.bigint) (st as BigIntStats).ino = HUGE;
    else (st as Stats).ino = Number(HUGE);
    return st;
  }) as typeof fs.fstatSync;
  return { ...fs, default: { ...fs, openSync, fstatSync }, openSync, fstatSync };
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-open-walked-ino-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('openWalkedSync inode check', () => {
  it('compares an inode past 2^53 exactly, whatever form the walk kept it in', () => {
    const p = path.join(tmp, 'huge-inode');
    writeFileSync(p, 'h');
    for (const ino of [HUGE, String(HUGE)]) closeSync(openWalkedSync(p, { ino }));
    // Equal as doubles (2^60 + 7 and 2^60 + 8 round alike), not as inodes: refused.
    expect(Number(HUGE + 1n)).toBe(Number(HUGE));
    expect(() => openWalkedSync(p, { ino: HUGE + 1n })).toThrow(InvalidInputError);
    expect(() => openWalkedSync(p, { ino: String(HUGE + 1n) })).toThrow(/it was replaced/);
  });
});
