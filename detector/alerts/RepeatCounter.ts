/**
 * Counts events per key within a sliding window of time, in bounded memory: `add` says whether
 * the key has now had at least `needed` events within `windowS` seconds. Keys beyond `maxKeys`
 * evict the least recently added.
 */
export class RepeatCounter {
  private readonly times = new Map<string, number[]>();

  constructor(
    private readonly windowS: number,
    private readonly needed: number,
    private readonly maxKeys = 10_000,
  ) {}

  add(key: string, time: number): boolean {
    const list = this.times.get(key) ?? [];
    this.times.delete(key); // re-inserted below: Map order = least recently added first
    list.push(time);
    while (list.length > 0 && time - list[0] > this.windowS) list.shift();
    if (list.length > this.needed) list.shift();
    this.times.set(key, list);
    if (this.times.size > this.maxKeys) this.times.delete(this.times.keys().next().value as string);
    return list.length >= this.needed;
  }
}
