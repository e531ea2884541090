/**
 * collectIfLarge: a full collection between planning and the steps, only for a big heap.
 * The garbage here is 100 MB of dead arrays that reached the old generation (they outlived
 * young collections while a list of them was being made): after the call the heap no
 * longer holds them, without any other collection asked for.
 */
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { collectIfLarge } from '../../../core/exec/heap.js';

describe('collectIfLarge', () => {
  it('collects a heap past 64 MB of garbage, and leaves a small one alone', async () => {
    let dead: number[][] | undefined = [];
    for (let i = 0; i < 100; i++) dead.push(new Array(128 * 1024).fill(i));
    dead = undefined;
    const before = getHeapStatistics().used_heap_size;
    expect(before).toBeGreaterThan(100 << 20);
    expect(await collectIfLarge()).toBe(true);
    const after = getHeapStatistics().used_heap_size;
    expect(before - after).toBeGreaterThan(90 << 20);
    // Now small: nothing to do.
    expect(after).toBeLessThan(64 << 20);
    expect(await collectIfLarge()).toBe(false);
  });
});
