/**
 * The context walk stats with numbers (core/fs/file-entry.ts lstatForKey: a bigint lstat costs fourteen BigInts
 * and four Dates a call), except for an inode past 2^53, which a double would round and the
 * no-follow open (core/fs/open-walked.ts) would then take for a replaced file. Such inodes
 * (overlayfs with xino) cannot be made here, so lstat is wrapped to report one for one name.
 */
import type { BigIntStats, Stats } from 'node:fs';
import { realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ContextView } from '../../../core/context/context-view.js';
import { makeTree } from './helpers.js';

const HUGE = 2n ** 60n + 7n;

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const lstatSync = ((p: string, o?: { bigint?: boolean }) => {
    const st = fs.lstatSync(p, o as { bigint: true }) as Stats | BigIntStats;
    if (!String(p).endsWith('/huge-inode')) return st;
    if (o?.bigint) (st as BigIntStats).ino = HUGE;
    else (st as Stats).ino = Number(HUGE);
    return st;
  }) as typeof fs.lstatSync;
  return { ...fs, default: { ...fs, lstatSync }, lstatSync };
});

describe('ContextView.stat', () => {
  it('keys by number stats, and stats an inode past 2^53 again as bigint', async () => {
    const dir = await realpath(await makeTree({ plain: 'p', 'huge-inode': 'h' }));
    await writeFile(path.join(dir, 'plain'), 'p');
    const view = new ContextView(dir, undefined);
    const plain = view.stat('plain', path.join(dir, 'plain'));
    const [ino, mtime, ctime] = plain.statKey.split(':');
    expect(BigInt(ino)).toBeLessThanOrEqual(BigInt(Number.MAX_SAFE_INTEGER));
    // Millisecond doubles (a nanosecond key would be an integer of 19 digits).
    expect(Number(mtime)).toBeLessThan(1e14);
    expect(Number(ctime)).toBeLessThan(1e14);
    const huge = view.stat('huge-inode', path.join(dir, 'huge-inode'));
    expect(huge.statKey.split(':')[0]).toBe(String(HUGE));
    expect(huge.statKey.split(':')[1]).toMatch(/^\d{19}$/);
  });
});
