/**
 * collectIfLarge: a full collection between planning and the steps, only for a big heap.
 * The garbage here is 100 MB of dead arrays that reached the old generation (they outlived
 * young collections while a list of them was being made): after the call the heap no
 * longer holds them, without any other collection asked for. After a collection, the next
 * waits until the heap has grown 32 MB past what that one kept.
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
    // ~16 MB more (arrays of 1 MiB): less than 32 MB past what the last collection kept.
    const live = Array.from({ length: 16 }, (_, i) => new Array(128 * 1024).fill(i));
    expect(getHeapStatistics().used_heap_size).toBeLessThan(after + (32 << 20));
    expect(await collectIfLarge()).toBe(false);
    garbage(40); // ~40 MB more: now it is due
    expect(await collectIfLarge()).toBe(true);
    expect(live.length).toBe(16);
  });
});
