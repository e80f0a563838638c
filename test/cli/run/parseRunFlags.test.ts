import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/Command.js';
import { parseRunFlags } from '../../../cli/run/parseRunFlags.js';
import { loadConfig } from '../../../lib/config.js';
import { RunConfigSchema } from '../../../cli/run/RunConfig.js';

const parse = (argv: string[]) => loadConfig(RunConfigSchema, { flags: parseRunFlags(argv).flags });

describe('parseRunFlags + RunConfigSchema', () => {
  it('has safe defaults: localhost:8080, dashboard on, keep serving after a file', () => {
    const c = parse(['--pcap', 'x.pcap']);
    expect(c.dashboard).toEqual({ enabled: true, bind: '127.0.0.1', port: 8080 });
    expect(c.exitAtEnd).toBe(false);
    expect(c.input.speed).toBeUndefined();
    expect(c.training.baselineSeconds).toBe(100);
  });

  it('reads every flag', () => {
    const c = parse([
      '-i', 'eth0', '--iface', 'eth1', '--baseline-seconds', '30', '--baseline-flows', '500', '--fpr', '0.01', '--min-score', '0.9',
      '--model', 'm.json', '--save-model', 's.json', '-o', 'a.jsonl', '--node', 'n7', '--bind', '0.0.0.0', '-p', '9090', '--no-dashboard',
    ]);
    expect(c.input.interfaces).toEqual(['eth0', 'eth1']);
    expect(c.training).toMatchObject({ baselineSeconds: 30, baselineFlows: 500 });
    expect(c.alerting).toEqual({ targetFpr: 0.01, minScore: 0.9 });
    expect(c.model).toEqual({ load: 'm.json', save: 's.json' });
    expect(c.out).toBe('a.jsonl');
    expect(c.node).toBe('n7');
    expect(c.dashboard).toEqual({ enabled: false, bind: '0.0.0.0', port: 9090 });
  });

  it('maps --realtime to speed 1 and --speed N to N', () => {
    expect(parse(['--pcap', 'x', '--realtime']).input.speed).toBe(1);
    expect(parse(['--pcap', 'x', '--speed', '12.5']).input.speed).toBe(12.5);
    expect(parse(['--pcap', 'x', '--exit']).exitAtEnd).toBe(true);
  });

  it.each([
    [['--pcap', 'a', '--iface', 'b'], /--iface or --pcap, not both/],
    [['--pcap', 'a', '--realtime', '--speed', '2'], /--realtime or --speed/],
    [['--iface', 'a', '--speed', '2'], /replay a file/],
    [['--pcap', 'a', '--speed', 'fast'], /--speed takes a number, got "fast"/],
    [['--pcap', 'a', '--port', '80a'], /--port takes a number/],
    [['--pcap', 'a', '--bogus'], /bogus/],
    [['stray'], /stray/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseRunFlags(argv)).toThrow(UsageError);
    expect(() => parseRunFlags(argv)).toThrow(message);
  });

  it('rejects values out of range with the flag named', () => {
    expect(() => parse(['--pcap', 'a', '--port', '70000'])).toThrow(/dashboard\.port \(from flag --dashboard-port\)/);
    expect(() => parse(['--pcap', 'a', '--fpr', '0.9'])).toThrow(/alerting\.targetFpr/);
    expect(() => parse(['--pcap', 'a', '--baseline-flows', '3'])).toThrow(/training\.baselineFlows/);
  });
});
