import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bundled demo capture, found from the package root (it ships in the package's files). */
export function demoCapture(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'test', 'fixtures', 'demo', 'demo.pcap');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('the demo capture (test/fixtures/demo/demo.pcap) is missing from this netids package');
}
