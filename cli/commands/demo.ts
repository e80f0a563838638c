import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { type Command, UsageError } from '../Command.js';
import { demoCapture } from '../run/demoCapture.js';
import { RunConfigSchema } from '../run/RunConfig.js';
import { runToCompletion } from '../run/runToCompletion.js';

/** Replay speed while the model learns: the baseline (about 100 s of traffic) passes in under ten seconds, long enough to watch. */
export const DEMO_LEARNING_SPEED = 12;
/**
 * The demo capture has two minutes of normal traffic (about 150 flows by 90 s, 200 only at
 * 116 s, four seconds before the first attack): learn from the first 90 s and 150 flows, so the
 * attacks are never part of the baseline.
 */
export const DEMO_BASELINE = { seconds: 90, flows: 150 };
/** Replay speed once detecting: attacks arrive over about half a minute, one after another. */
export const DEMO_DETECTING_SPEED = 3;

const usage = `Usage: netids demo [--port N] [--bind ADDR] [--speed N | --fast] [--exit]

Plays the bundled demo capture (two minutes of normal traffic between a few hosts, then a port
scan, a host sweep and a SYN flood, recorded with nmap and hping3) through \`netids run\` and
serves the dashboard. Open the printed URL: the model learns the normal traffic first (about
9 s), then the attacks appear as anomalies over the next half minute. No root needed.

  -p, --port N      dashboard port (default 8080; 0 picks a free one)
      --bind ADDR   address to serve on (default 127.0.0.1)
      --speed N     play the whole capture at N times its pace (default: ${DEMO_LEARNING_SPEED}× while learning, then ${DEMO_DETECTING_SPEED}×)
      --fast        play the whole capture as fast as it reads (for scripts)
      --exit        quit when the capture ends instead of keeping the dashboard up until Ctrl-C
  -o, --out FILE    also write the anomalies as JSON lines`;

const demo: Command = {
  summary: 'run the bundled demo capture through the detector, with the dashboard',
  usage,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        strict: true,
        allowPositionals: false,
        options: {
          port: { type: 'string', short: 'p' },
          bind: { type: 'string' },
          fast: { type: 'boolean' },
          speed: { type: 'string' },
          exit: { type: 'boolean' },
          out: { type: 'string', short: 'o' },
        },
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (values.port !== undefined && !/^\d+$/.test(values.port)) throw new UsageError(`--port takes a number, got "${values.port}"`);
    if (values.speed !== undefined && !(Number(values.speed) > 0)) throw new UsageError(`--speed takes a positive number, got "${values.speed}"`);
    if (values.speed !== undefined && values.fast) throw new UsageError('give --speed or --fast, not both');
    const fixedSpeed = values.fast ? Infinity : values.speed !== undefined ? Number(values.speed) : null;
    const pcap = demoCapture();
    const flags: Record<string, unknown> = {
      'input.pcap': pcap,
      'dashboard.port': values.port,
      'dashboard.bind': values.bind,
      exitAtEnd: values.exit ?? false,
      out: values.out,
      node: 'demo',
      'training.baselineSeconds': DEMO_BASELINE.seconds,
      'training.baselineFlows': DEMO_BASELINE.flows,
    };
    if (fixedSpeed === null) flags['input.speed'] = DEMO_LEARNING_SPEED;
    else if (Number.isFinite(fixedSpeed)) flags['input.speed'] = fixedSpeed;
    const pace = fixedSpeed === null ? `${DEMO_LEARNING_SPEED}× fast` : Number.isFinite(fixedSpeed) ? `${fixedSpeed}× fast` : 'at full speed';
    const config = loadConfig(RunConfigSchema, { env: process.env, flags });
    const logger = createLogger(process.env.NETIDS_LOG_LEVEL ?? 'warn');
    return runToCompletion(
      config,
      { out: process.stdout, err: process.stderr, logger },
      {
        onStart: (h) => {
          process.stderr.write(
            `\n  netids demo — open ${h.url ?? '(dashboard disabled)'}\n\n` +
              `  Learning what normal traffic looks like (played ${pace}),\n` +
              `  then a port scan, a host sweep and a SYN flood${fixedSpeed === null ? ` (played ${DEMO_DETECTING_SPEED}× fast)` : ''}.\n\n`,
          );
        },
        onModel: (info, h) => {
          if (fixedSpeed === null && info.state === 'trained' && h.file) h.file.speed = DEMO_DETECTING_SPEED;
        },
      },
    );
  },
};

export default demo;
