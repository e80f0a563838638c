import { ConfigError, loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { DEFAULT_DETECTOR_OPTIONS } from '../../detector/Detector.js';
import { ModelFileError } from '../../detector/ModelFile.js';
import { LiveCaptureError } from '../../sensor/capture/LiveCaptureError.js';
import type { Command } from '../Command.js';
import { parseRunFlags } from '../run/parseRunFlags.js';
import { RunConfigSchema } from '../run/RunConfig.js';
import { runToCompletion } from '../run/runToCompletion.js';

const usage = `Usage: netids run --iface IF [--iface IF2 …] [flags]     capture live (needs root or CAP_NET_RAW)
       netids run --pcap FILE [--realtime | --speed N] [flags]   read a pcap or pcapng file

Runs the sensor and the detector in one process: learns what normal traffic looks like, then
scores every flow. Anomalies are printed (one line each), written to --out, and shown live on
the dashboard.

Input:
  -i, --iface IF            capture on IF (repeat for more interfaces)
  -r, --pcap FILE           read FILE instead (no root needed)
      --realtime            replay the file at the pace it was captured (same as --speed 1)
      --speed N             replay N times faster than captured (default: as fast as it reads)
Learning:
      --baseline-seconds S  seconds of traffic (capture time) to learn from first (default 100)
      --baseline-flows N    fewest flows to learn from; learning goes on until there are this many (default 200)
      --fpr X               target false-positive rate per normal flow; sets the threshold (default 0.001)
      --min-score X         never alert below this ensemble score, 0..1 (default ${DEFAULT_DETECTOR_OPTIONS.alerting.minScore})
      --model FILE          use a saved model and skip learning
      --save-model FILE     save the model once trained (and again at the end)
Output:
  -o, --out FILE            write anomalies as JSON lines (one line when raised, updates while it grows;
                            the last line of an id is its final state)
      --node NAME           node name on anomalies (default: this host's name)
Dashboard:
      --bind ADDR           address to serve on (default 127.0.0.1: this machine only)
  -p, --port N              port (default 8080; 0 picks a free one)
      --no-dashboard        do not serve the dashboard
      --exit                file mode: quit when the file ends (for scripts). Without it the dashboard
                            stays up after the file ends, until Ctrl-C.
  -c, --config FILE         settings file (YAML or JSON); NETIDS_* environment variables also apply,
                            e.g. NETIDS_DASHBOARD__PORT=9090. Flags win.

Ctrl-C stops the input, scores what is left, writes --out and --save-model, and exits.
Exit status: 0 done, 1 the input failed (e.g. a damaged file; what was read is still reported), 2 bad usage.`;

const run: Command = {
  summary: 'capture live (--iface) or read a file (--pcap), learn, detect, serve the dashboard',
  usage,
  async run(argv) {
    const { configFile, flags } = parseRunFlags(argv);
    const config = loadConfig(RunConfigSchema, { file: configFile, env: process.env, flags });
    try {
      return await runToCompletion(config, { out: process.stdout, err: process.stderr, logger: createLogger(process.env.NETIDS_LOG_LEVEL ?? 'warn') });
    } catch (err) {
      if (err instanceof ModelFileError) throw new ConfigError(err.message);
      if (err instanceof LiveCaptureError) {
        process.stderr.write(`netids run: cannot capture: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};

export default run;
