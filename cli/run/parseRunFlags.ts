import { parseArgs } from 'node:util';
import { UsageError } from '../Command.js';

/** What the flags of `netids run` say: the config file, and settings as dotted paths for loadConfig. */
export interface ParsedRunFlags {
  configFile?: string;
  flags: Record<string, unknown>;
}

/** Parses `netids run` flags into dotted setting paths; a wrong flag is a UsageError. */
export function parseRunFlags(argv: string[]): ParsedRunFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        iface: { type: 'string', short: 'i', multiple: true },
        pcap: { type: 'string', short: 'r' },
        realtime: { type: 'boolean' },
        speed: { type: 'string' },
        'baseline-seconds': { type: 'string' },
        'baseline-flows': { type: 'string' },
        fpr: { type: 'string' },
        'min-score': { type: 'string' },
        model: { type: 'string' },
        'save-model': { type: 'string' },
        out: { type: 'string', short: 'o' },
        node: { type: 'string' },
        bind: { type: 'string' },
        port: { type: 'string', short: 'p' },
        'no-dashboard': { type: 'boolean' },
        exit: { type: 'boolean' },
        config: { type: 'string', short: 'c' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^.*?: /, ''));
  }
  const ifaces = values.iface ?? [];
  if (ifaces.length > 0 && values.pcap) throw new UsageError('give --iface or --pcap, not both');
  if (values.realtime && values.speed !== undefined) throw new UsageError('give --realtime or --speed, not both');
  if ((values.realtime || values.speed !== undefined) && ifaces.length > 0) throw new UsageError('--realtime and --speed replay a file (--pcap); live capture is always real time');
  for (const name of ['speed', 'baseline-seconds', 'baseline-flows', 'fpr', 'min-score', 'port'] as const) {
    const v = values[name];
    if (v !== undefined && !/^\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) throw new UsageError(`--${name} takes a number, got "${v}"`);
  }
  const flags: Record<string, unknown> = {};
  if (ifaces.length > 0) flags['input.interfaces'] = ifaces;
  if (values.pcap !== undefined) flags['input.pcap'] = values.pcap;
  if (values.realtime) flags['input.speed'] = 1;
  if (values.speed !== undefined) flags['input.speed'] = values.speed;
  if (values['baseline-seconds'] !== undefined) flags['training.baselineSeconds'] = values['baseline-seconds'];
  if (values['baseline-flows'] !== undefined) flags['training.baselineFlows'] = values['baseline-flows'];
  if (values.fpr !== undefined) flags['alerting.targetFpr'] = values.fpr;
  if (values['min-score'] !== undefined) flags['alerting.minScore'] = values['min-score'];
  if (values.model !== undefined) flags['model.load'] = values.model;
  if (values['save-model'] !== undefined) flags['model.save'] = values['save-model'];
  if (values.out !== undefined) flags.out = values.out;
  if (values.node !== undefined) flags.node = values.node;
  if (values.bind !== undefined) flags['dashboard.bind'] = values.bind;
  if (values.port !== undefined) flags['dashboard.port'] = values.port;
  if (values['no-dashboard']) flags['dashboard.enabled'] = false;
  if (values.exit) flags.exitAtEnd = true;
  return { configFile: values.config, flags };
}
