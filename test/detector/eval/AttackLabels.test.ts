import { describe, expect, it } from 'vitest';
import { AttackLabels } from '../../../detector/eval/AttackLabels.js';

const csv = `start_epoch,end_epoch,attacker_ip,victim_ip_or_*,attack_type
100,110,10.0.0.66,10.0.0.21,PortScan
200,230,10.0.0.66,*,HostSweep
`;

describe('AttackLabels', () => {
  const labels = AttackLabels.parse(csv);
  it('matches flows from or to the attacker within the window', () => {
    expect(labels.match({ src: '10.0.0.66', dst: '10.0.0.21', firstSeen: 105, lastSeen: 106 })?.type).toBe('PortScan');
    expect(labels.match({ src: '10.0.0.21', dst: '10.0.0.66', firstSeen: 109, lastSeen: 112 })?.type).toBe('PortScan');
    expect(labels.match({ src: '10.0.0.66', dst: '10.0.0.22', firstSeen: 105, lastSeen: 106 })).toBeUndefined();
    expect(labels.match({ src: '10.0.0.66', dst: '10.0.0.99', firstSeen: 210, lastSeen: 211 })?.type).toBe('HostSweep');
    expect(labels.match({ src: '10.0.0.66', dst: '10.0.0.21', firstSeen: 150, lastSeen: 151 })).toBeUndefined();
  });
  it('rejects a malformed line with its line number', () => {
    expect(() => AttackLabels.parse('start\n1,2,3\n', 'x.csv')).toThrow(/x\.csv:2: expected 5 columns/);
    expect(() => AttackLabels.parse('start\n1,2,a,b,Nope\n', 'x.csv')).toThrow(/attack_type "Nope"/);
    expect(() => AttackLabels.parse('start\n5,2,a,b,PortScan\n', 'x.csv')).toThrow(/start ≤ end/);
  });
});
