import { describe, expect, it } from 'vitest';
import { formatAnomalyLine } from '../../../cli/run/formatAnomalyLine.js';
import { sampleAnomalies } from '../../detector/dashboard/sampleAnomalies.js';

describe('formatAnomalyLine', () => {
  const [scan, flood] = sampleAnomalies();
  it('says when, what, who to whom, how sure, how many and why, on one line', () => {
    const line = formatAnomalyLine(scan);
    expect(line).toMatch(/^\d\d:\d\d:\d\d {2}PortScan {6}10\.0\.0\.66 → 10\.0\.0\.21:22 {2}score 0\.97 {2}812 flows {2}distinct destination ports/);
    expect(line).not.toContain('\n');
  });
  it('names pods when known, and many hosts for sweeps', () => {
    expect(formatAnomalyLine(flood)).toContain('→ shop/web-7d9f8-x2k4p (10.0.0.21:80)');
    expect(formatAnomalyLine({ ...scan, kind: 'HostSweep', dst: '*', dstPort: 0, count: 1 })).toContain('→ many hosts  score 0.97  1 flow ');
  });
  it('brackets IPv6 with a port and colours only when asked', () => {
    expect(formatAnomalyLine({ ...scan, dst: 'fd00::1', dstPort: 443 })).toContain('[fd00::1]:443');
    expect(formatAnomalyLine(scan)).not.toContain('\x1b[');
    expect(formatAnomalyLine(scan, true)).toContain('\x1b[1;31mPortScan');
  });
});
