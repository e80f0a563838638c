import { execFile } from 'node:child_process';

/** Runs a program to completion; rejects with its stderr when it fails. */
export function run(argv: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0], argv.slice(1), { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Like run, but a failure is ignored (for cleanup). */
export async function tryRun(argv: string[]): Promise<void> {
  await run(argv).catch(() => undefined);
}
