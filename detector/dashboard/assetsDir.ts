import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The dashboard's static files (detector/dashboard/assets in the package). They are plain files,
 * not compiled, so they are found from the package root whether this module runs from the
 * sources or from dist/.
 */
export function assetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'detector', 'dashboard', 'assets');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const here = join(dir, 'assets');
    if (existsSync(join(here, 'index.html'))) return here;
    dir = dirname(dir);
  }
  throw new Error('dashboard assets not found (detector/dashboard/assets/index.html is missing from the package)');
}
