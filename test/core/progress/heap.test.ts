/**
 * collectIfLarge: a full collection between planning and the steps, only for a big heap.
 * The garbage here is 100 MB of dead arrays that reached the old generation (they outlived
 * young collections while a list of them was being made): after the call the heap no
 * longer holds them, without any other collection asked for. After a collection, the next
 * waits until the heap has grown past what that one kept by a quarter of it, at least 12 MB.
 */
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { collectIfLarge } from '../../../core/progress/heap.js';

describe('collectIfLarge', () => {
  it('collects a heap with much garbage, leaves a small one alone, then waits for growth', async () => {
    const garbage = (arrays: number): void => {
      let dead: number[][] | undefined = [];
      for (let i = 0; i < arrays; i++) dead.push(new Array(128 * 1024).fill(i));
      dead = undefined;
    };
    garbage(100);
    const before = getHeapStatistics().used_heap_size;
    expect(before).toBeGreaterThan(100 << 20);
    expect(await collectIfLarge()).toBe(true);
    const after = getHeapStatistics().used_heap_size;
    expect(before - after).toBeGreaterThan(90 << 20);
    // Now small: nothing to do.
    expect(await collectIfLarge()).toBe(false);
    // ~8 MB more (arrays of 1 MiB): less than 12 MB past what the last collection kept.
    const live = Array.from({ length: 8 }, (_, i) => new Array(128 * 1024).fill(i));
    expect(getHeapStatistics().used_heap_size).toBeLessThan(after + (12 << 20));
    expect(await collectIfLarge()).toBe(false);
    // ~28 MB past it in all (and past COLLECT_ABOVE): now it is due. What was kept is small
    // (a few MB), so the 12 MB floor applied, not a quarter of it.
    garbage(20);
    expect(after).toBeLessThan(48 << 20);
    expect(getHeapStatistics().used_heap_size).toBeLessThan(after + (32 << 20));
    expect(await collectIfLarge()).toBe(true);
    expect(live.length).toBe(8);
  });

  it('waits for a quarter of a big live heap to be added before the next collection', async () => {
    const garbage = (arrays: number): void => {
      let dead: number[][] | undefined = [];
      for (let i = 0; i < arrays; i++) dead.push(new Array(128 * 1024).fill(i));
      dead = undefined;
    };
    // ~160 MB live: the next collection is due ~40 MB past it, not 12.
    const live = Array.from({ length: 160 }, (_, i) => new Array(128 * 1024).fill(i));
    garbage(40);
    expect(await collectIfLarge()).toBe(true);
    const kept = getHeapStatistics().used_heap_size;
    expect(kept).toBeGreaterThan(160 << 20);
    garbage(24); // ~24 MB: past 12 MB, short of a quarter of what is kept
    expect(getHeapStatistics().used_heap_size).toBeLessThan(kept + kept / 4);
    expect(await collectIfLarge()).toBe(false);
    garbage(40); // ~64 MB in all: past a quarter
    expect(await collectIfLarge()).toBe(true);
    expect(live.length).toBe(160);
  });
});
