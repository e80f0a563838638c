import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { trainAndScore } from '../../detector/offline/trainAndScore.js';
import { readFlows } from '../../detector/offline/readFlows.js';
import type { Command } from '../Command.js';
import { OFFLINE_FLAGS, OFFLINE_USAGE, offlineSettings } from '../offlineFlags.js';
import { parseFlags } from '../parseFlags.js';

const command: Command = {
  summary: 'score a pcap offline and write anomalies as JSON lines',
  usage: `Usage: netids detect --pcap FILE [--train-until EPOCH | --train-fraction F | --model FILE] [--out FILE]

Runs the sensor and the detector over a capture file: learn (or load) a model, score every other
flow, and write one anomaly per line (the Anomaly JSON shape) to --out or standard output.

${OFFLINE_USAGE}
  --out FILE             write anomalies here (default: standard output)`,
  async run(argv) {
    const { values } = parseFlags(argv, { ...OFFLINE_FLAGS, out: { type: 'string' } });
    const { pcap, source, options } = offlineSettings(values);
    const flows = await readFlows(pcap);
    if (flows.error) process.stderr.write(`netids detect: ${flows.error.message} (continuing with the ${flows.records.length} flows before it)\n`);
    const { detector, trained, scored } = await trainAndScore(flows.records, source, options);
    const lines = detector.anomalies().map((a) => JSON.stringify(a) + '\n');
    if (values.out) {
      const out = createWriteStream(values.out);
      for (const line of lines) out.write(line);
      out.end();
      await finished(out);
    } else for (const line of lines) process.stdout.write(line);
    const info = detector.info();
    process.stderr.write(
      `netids detect: ${flows.counters.packets} packets, ${flows.records.length} flows; trained on ${trained.length} (model ${info.version}, threshold ${info.threshold.toFixed(4)}); ` +
        `scored ${scored.length}, ${detector.counters.anomalousFlows} anomalous flows → ${detector.anomalies().length} anomalies\n`,
    );
    return 0;
  },
};
export default command;
