import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { procStats } from './procStats.js';

describe('procStats', () => {
  it('reads RSS, open descriptors and the program name of this process', () => {
    const s = procStats(process.pid);
    expect(s?.comm).toBe('node');
    expect(s?.rssBytes).toBeGreaterThan(10 << 20);
    expect(s?.fds).toBeGreaterThanOrEqual(3);
  });

  it('answers undefined for a process that has exited', async () => {
    const child = spawn('true');
    const pid = child.pid ?? -1;
    await new Promise((r) => child.once('exit', r));
    expect(procStats(pid)).toBeUndefined();
  });
});
