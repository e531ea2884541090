/**
 * The owner a process names its temp entries and build dirs with is computed once per
 * process, and forgetOwner() (which the startup snapshot's entry calls) makes it be read
 * again: a process started from the snapshot under the pid of the process that made it
 * must not keep that process's start time, or every other process takes it for dead.
 */
import { describe, expect, it, vi } from 'vitest';

const reads = vi.hoisted(() => ({ stat: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readFileSync = ((p: string, o?: unknown) => {
    if (String(p) === `/proc/${process.pid}/stat`) reads.stat++;
    return fs.readFileSync(p, o as BufferEncoding);
  }) as typeof fs.readFileSync;
  return { ...fs, default: { ...fs, readFileSync }, readFileSync };
});

const { currentOwner, forgetOwner, isOwnerAlive, ownedName, ownerOfName } = await import(
  '../../store/process-owner.js'
);

describe('currentOwner', () => {
  it('is read once per process, and again after forgetOwner()', () => {
    const me = currentOwner();
    expect(me.pid).toBe(process.pid);
    expect(me.start).toBeGreaterThan(0);
    const before = reads.stat;
    expect(currentOwner()).toBe(me);
    expect(ownerOfName(ownedName('.x-'))).toEqual(me);
    expect(reads.stat).toBe(before);
    forgetOwner();
    const again = currentOwner();
    expect(reads.stat).toBe(before + 1);
    expect(again).toEqual(me);
    expect(isOwnerAlive(again)).toBe(true);
    // The same pid with another start time is another (dead) process.
    expect(isOwnerAlive({ pid: me.pid, start: me.start + 1 })).toBe(false);
  });
});
