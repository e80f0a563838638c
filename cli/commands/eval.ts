import { AttackLabels } from '../../detector/eval/AttackLabels.js';
import { evaluate, formatReport } from '../../detector/eval/evaluate.js';
import { readFlows } from '../../detector/offline/readFlows.js';
import { trainAndScore } from '../../detector/offline/trainAndScore.js';
import { UsageError, type Command } from '../Command.js';
import { OFFLINE_FLAGS, OFFLINE_USAGE, offlineSettings } from '../offlineFlags.js';
import { parseFlags } from '../parseFlags.js';

const command: Command = {
  summary: 'measure detection quality on a labeled pcap',
  usage: `Usage: netids eval --pcap FILE --labels LABELS.csv [training flags] [--json]

Runs netids detect over a labeled capture and reports, per model and for the ensemble:
ROC-AUC, PR-AUC, precision, recall, false-positive and false-negative rates per flow; per attack:
detected or not, time to first alert and the kinds reported; false alerts per minute.
Labels: CSV start_epoch,end_epoch,attacker_ip,victim_ip_or_*,attack_type — traffic from or to
the attacker within a window is malicious.

${OFFLINE_USAGE}
  --labels FILE          the labels CSV (required)
  --json                 print the report as JSON`,
  async run(argv) {
    const { values } = parseFlags(argv, { ...OFFLINE_FLAGS, labels: { type: 'string' }, json: { type: 'boolean' } });
    if (!values.labels) throw new UsageError('--labels FILE is required');
    const { pcap, source, options } = offlineSettings(values);
    const labels = AttackLabels.load(values.labels);
    const flows = await readFlows(pcap);
    if (flows.error) process.stderr.write(`netids eval: ${flows.error.message} (using the ${flows.records.length} flows before it)\n`);
    const run = await trainAndScore(flows.records, source, options);
    const report = evaluate(run, labels);
    process.stdout.write((values.json ? JSON.stringify(report) : formatReport(report)) + '\n');
    return 0;
  },
};
export default command;
