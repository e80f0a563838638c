import type { Anomaly } from '../../../lib/anomaly.js';

/** Hand-made anomalies (plain data in the Anomaly shape) for the API and export tests. */
export function sampleAnomalies(): Anomaly[] {
  const base = {
    srcPort: 40000,
    protocol: 'tcp',
    node: 'n1',
    models: ['iforest', 'ocsvm'],
  };
  return [
    {
      ...base,
      id: 'portscan-10-0-0-66-10-0-0-21-100',
      firstSeen: 100,
      lastSeen: 160,
      count: 812,
      src: '10.0.0.66',
      dst: '10.0.0.21',
      dstPort: 22,
      kind: 'PortScan',
      score: 0.97,
      reasons: [{ feature: 'src_dst_ports_10s', value: 812, baselineP50: 1, baselineP99: 3, text: 'distinct destination ports (~10 s): 812, usually 1 (p99 3)' }],
    },
    {
      ...base,
      id: 'synflood-10-0-0-66-10-0-0-21-200',
      firstSeen: 200,
      lastSeen: 260,
      count: 5000,
      src: '10.0.0.66',
      dst: '10.0.0.21',
      dstPort: 80,
      kind: 'SynFlood',
      score: 0.99,
      dstPod: 'shop/web-7d9f8-x2k4p',
      reasons: [{ feature: 'syn_count', value: 1, baselineP50: 0, baselineP99: 1, text: 'SYN packets: 1, usually 0, "quoted", with, commas' }],
    },
    {
      ...base,
      id: 'unknown-10-0-0-5-10-0-0-9-300',
      firstSeen: 300,
      lastSeen: 300.5,
      count: 1,
      src: '10.0.0.5',
      dst: '10.0.0.9',
      dstPort: 443,
      kind: 'Unknown',
      score: 0.5,
      srcPod: '=cmd|calc',
      reasons: [{ feature: 'x', value: 1, baselineP50: 0, baselineP99: 0, text: 'line one\nline two' }],
    },
  ];
}
