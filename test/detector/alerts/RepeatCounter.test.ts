import { describe, expect, it } from 'vitest';
import { RepeatCounter } from '../../../detector/alerts/RepeatCounter.js';

describe('RepeatCounter', () => {
  it('says yes from the needed-th event of a key within the window, per key', () => {
    const c = new RepeatCounter(60, 3);
    expect([c.add('a', 0), c.add('a', 10), c.add('b', 11)]).toEqual([false, false, false]);
    expect(c.add('a', 20)).toBe(true);
    expect(c.add('a', 21)).toBe(true);
    // Only events within 60 s of the newest count.
    expect(c.add('a', 79)).toBe(true); // 20, 21, 79
    expect(c.add('a', 140)).toBe(false); // 140 alone (79 is 61 s old)
  });

  it('keeps at most maxKeys keys, forgetting the least recently added', () => {
    const c = new RepeatCounter(60, 2, 2);
    c.add('a', 0);
    c.add('b', 1);
    c.add('c', 2); // evicts a
    expect(c.add('a', 3)).toBe(false);
    expect(c.add('c', 4)).toBe(true);
  });
});
