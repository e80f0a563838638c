import { describe, expect, it } from 'vitest';
import { RecentKeys } from '../../../sensor/features/RecentKeys.js';

describe('RecentKeys', () => {
  it('returns -Infinity for a new key and the previous sighting for a known one', () => {
    const r = new RecentKeys(1024);
    expect(r.touch(12345, 1)).toBe(-Infinity);
    expect(r.touch(12345, 2.5)).toBe(1);
    expect(r.touch(12345, 3)).toBe(2.5);
    expect(r.touch(0, 3)).toBe(-Infinity); // hash 0 is a valid key
    expect(r.touch(0, 4)).toBe(3);
  });

  it('holds a fixed number of keys and forgets the least recently seen of a set', () => {
    const r = new RecentKeys(16);
    expect(r.capacity).toBe(16);
    // Hashes with the same set bits ((h >>> 2) & 3) share a 4-way set.
    const sameSet = [1 << 8, 2 << 8, 3 << 8, 4 << 8, 5 << 8];
    sameSet.slice(0, 4).forEach((h, i) => r.touch(h, i));
    expect(r.touch(sameSet[4], 10)).toBe(-Infinity); // evicts the oldest (time 0)
    expect(r.touch(sameSet[1], 11)).toBe(1);
    expect(r.touch(sameSet[0], 12)).toBe(-Infinity);
  });

  it('remembers keys in every part of a large table (each part is zeroed once, on first use)', () => {
    const r = new RecentKeys(1 << 16);
    // One key per set, in set order and then in reverse: every key is still there.
    const sets = r.capacity / 4;
    for (let set = 0; set < sets; set++) expect(r.touch((set << 2) | (1 << 30), set)).toBe(-Infinity);
    for (let set = sets - 1; set >= 0; set--) expect(r.touch((set << 2) | (1 << 30), sets + set)).toBe(set);
  });
});
