import { trainAndScore } from '../../detector/offline/trainAndScore.js';
import { readFlows } from '../../detector/offline/readFlows.js';
import { UsageError, type Command } from '../Command.js';
import { OFFLINE_FLAGS, OFFLINE_USAGE, offlineSettings } from '../offlineFlags.js';
import { parseFlags } from '../parseFlags.js';

const command: Command = {
  summary: 'learn a model from a pcap and save it',
  usage: `Usage: netids train --pcap FILE --out MODEL.json [--train-until EPOCH | --train-fraction F]

Learns a model from normal traffic in a capture file (all of it, unless told otherwise) and saves
it as a versioned model file that \`netids run --model\`, \`netids detect --model\` and the detector
service load.

${OFFLINE_USAGE}
  --out FILE             where to save the model (required)`,
  async run(argv) {
    const { values } = parseFlags(argv, { ...OFFLINE_FLAGS, out: { type: 'string' } });
    if (!values.out) throw new UsageError('--out FILE is required');
    if (values.model) throw new UsageError('--model does not apply to train');
    const { pcap, options } = offlineSettings(values);
    let { source } = offlineSettings(values);
    if (source.kind === 'baseline' && values.baseline === undefined) source = { kind: 'fraction', fraction: 0.999999 };
    const flows = await readFlows(pcap);
    if (flows.error) process.stderr.write(`netids train: ${flows.error.message} (using the ${flows.records.length} flows before it)\n`);
    const { detector, trained } = await trainAndScore(flows.records, source, options);
    const model = detector.currentModel();
    if (!model) throw new Error('no model was trained');
    model.save(values.out);
    process.stderr.write(`netids train: model ${model.version} from ${trained.length} flows saved to ${values.out}\n`);
    return 0;
  },
};
export default command;
