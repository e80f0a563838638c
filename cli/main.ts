import { readFileSync } from 'node:fs';
import { ConfigError } from '../lib/config.js';
import { type Command, UsageError } from './Command.js';

/** Subcommands in help order; each lives in cli/commands/<name>.ts. */
const COMMANDS: Record<string, string> = {
  demo: 'run the bundled demo capture through the detector, with the dashboard',
  run: 'capture live (--iface) or read a file (--pcap), learn, detect, serve the dashboard',
  detect: 'score a pcap offline and write anomalies as JSON lines',
  train: 'learn a model from a pcap and save it',
  eval: 'measure detection quality on a labeled pcap',
  sensor: 'run the node sensor: capture and stream features to detectors over gRPC',
  detector: 'run the detector service: receive features over gRPC, score, report',
  operator: 'run the Kubernetes operator',
};

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'netids — network intrusion detection for Kubernetes and single hosts',
    '',
    'Usage: netids <command> [flags]    (netids <command> --help for its flags)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`),
    '',
    'Flags:',
    '  -h, --help     show this help',
    '  -v, --version  print the version',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(mainHelp() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '-v' || name === '--version' || name === 'version') {
    process.stdout.write(`netids ${packageVersion()}\n`);
    return 0;
  }
  if (!(name in COMMANDS)) {
    process.stderr.write(`netids: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}\n`);
    return 2;
  }
  const command = ((await import(`./commands/${name}.js`)) as { default: Command }).default;
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`netids ${name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`netids ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // One line for the user; the stack when debugging (NETIDS_LOG_LEVEL=debug or trace).
    const debug = ['debug', 'trace'].includes(process.env.NETIDS_LOG_LEVEL ?? '');
    const text = err instanceof Error ? (debug ? (err.stack ?? err.message) : err.message) : String(err);
    process.stderr.write(`netids: ${text}\n`);
    process.exitCode = 1;
  },
);
