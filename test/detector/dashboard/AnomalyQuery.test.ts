import { describe, expect, it } from 'vitest';
import { applyAnomalyQuery, parseAnomalyQuery, QueryError } from '../../../detector/dashboard/AnomalyQuery.js';
import { sampleAnomalies } from './sampleAnomalies.js';

const q = (s: string) => parseAnomalyQuery(new URLSearchParams(s));

describe('parseAnomalyQuery', () => {
  it('defaults to no filter and a limit of 1000', () => {
    expect(q('')).toEqual({ since: null, kind: null, limit: 1000 });
  });

  it('reads since, kind and limit', () => {
    expect(q('since=1700000000.5&kind=SynFlood&limit=10')).toEqual({ since: 1700000000.5, kind: 'SynFlood', limit: 10 });
  });

  it.each([
    ['since=yesterday', /since must be a time in epoch seconds/],
    ['since=-5', /since/],
    ['since=', /since/],
    ['kind=portscan', /kind must be one of PortScan, HostSweep/],
    ['limit=0', /limit must be a whole number from 1 to 10000/],
    ['limit=10001', /limit/],
    ['limit=2.5', /limit/],
    ['limit=1e3', /limit/],
    ['colour=red', /unknown parameter "colour"/],
    ['kind=PortScan&kind=SynFlood', /more than once/],
  ])('rejects %s', (query, message) => {
    expect(() => q(query)).toThrow(QueryError);
    expect(() => q(query)).toThrow(message);
  });
});

describe('applyAnomalyQuery', () => {
  const all = sampleAnomalies();
  it('returns newest first', () => {
    expect(applyAnomalyQuery(all, q('')).map((a) => a.lastSeen)).toEqual([300.5, 260, 160]);
  });
  it('filters by kind, since and limit', () => {
    expect(applyAnomalyQuery(all, q('kind=PortScan')).map((a) => a.kind)).toEqual(['PortScan']);
    expect(applyAnomalyQuery(all, q('since=260')).map((a) => a.lastSeen)).toEqual([300.5, 260]);
    expect(applyAnomalyQuery(all, q('limit=1')).map((a) => a.lastSeen)).toEqual([300.5]);
    expect(applyAnomalyQuery(all, q('kind=HostSweep'))).toEqual([]);
  });
});
