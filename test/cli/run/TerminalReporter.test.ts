import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RunSession } from '../../../cli/run/RunSession.js';
import { TerminalReporter } from '../../../cli/run/TerminalReporter.js';
import { Detector } from '../../../detector/Detector.js';
import { sampleAnomalies } from '../../detector/dashboard/sampleAnomalies.js';

function capture(isTTY: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  s.isTTY = isTTY;
  s.columns = 80;
  let text = '';
  s.on('data', (d) => (text += d));
  return { stream: s, text: () => text };
}

function session(): RunSession {
  return new RunSession({ info: { node: 'n', mode: 'file', source: 'x.pcap', startedAt: 0 }, detector: new Detector({ node: 'n' }), fileProgress: () => 0.25 });
}

describe('TerminalReporter', () => {
  it('on a TTY keeps one progress line, clearing it before each anomaly line and redrawing it after', () => {
    const out = capture(false);
    const err = capture(true);
    const r = new TerminalReporter({ out: out.stream, err: err.stream, intervalMs: 60_000 });
    r.start(session());
    r.note('hello');
    expect(err.text()).toBe('netids: hello\n\r\x1b[2Klearning 0% · 0 pkt/s · 0 packets · 0 flows · 0 anomalies · file 25%');
    const [scan] = sampleAnomalies();
    r.anomaly(scan, true);
    r.anomaly({ ...scan, count: 900 }, false);
    expect(out.text().split('\n').filter(Boolean)).toHaveLength(1);
    expect(out.text()).toContain('PortScan');
    expect(err.text().endsWith('\r\x1b[2K\r\x1b[2Klearning 0% · 0 pkt/s · 0 packets · 0 flows · 1 anomaly · file 25%')).toBe(true);
    r.stop();
    const before = err.text().length;
    r.note('bye');
    expect(err.text().slice(before)).toBe('netids: bye\n');
  });

  it('is quiet when stderr is not a TTY: notes and anomaly lines only, no control codes', () => {
    const out = capture(false);
    const err = capture(false);
    const r = new TerminalReporter({ out: out.stream, err: err.stream, intervalMs: 10 });
    r.start(session());
    r.note('dashboard: http://127.0.0.1:1/');
    r.anomaly(sampleAnomalies()[1], true);
    r.stop();
    expect(err.text()).toBe('netids: dashboard: http://127.0.0.1:1/\n');
    expect(out.text()).not.toContain('\x1b');
    expect(out.text()).toContain('SynFlood');
  });

  it('notes the first model, and each retrained one, once', () => {
    const err = capture(false);
    const r = new TerminalReporter({ out: capture(false).stream, err: err.stream, intervalMs: 60_000 });
    const info = { state: 'trained' as const, progress: 1, version: 'm-1', trainedAt: 1, samples: 200, featureSchemaVersion: 1, threshold: 0.999 };
    r.model({ ...info, state: 'training', version: '' });
    r.model(info);
    r.model(info);
    r.model({ ...info, version: 'm-2', samples: 800 });
    r.stop();
    expect(err.text().split('\n').filter(Boolean)).toEqual([
      'netids: learned a baseline of 200 flows; training the model…',
      'netids: model m-1 trained on 200 flows; threshold 0.999; detecting',
      'netids: model m-2 retrained on 800 flows; threshold 0.999; detecting',
    ]);
  });
});
