import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';

/** Paths of PEM files for (mutual) TLS. `ca` verifies the peer; cert + key identify us. */
export interface TlsFiles {
  cert?: string;
  key?: string;
  ca?: string;
}

export interface TlsMaterial {
  cert: Buffer | null;
  key: Buffer | null;
  ca: Buffer | null;
}

function read(path: string | undefined, what: string): Buffer | null {
  if (!path) return null;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read TLS ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Reads the PEM files; a missing or unreadable file is a ConfigError naming it. */
export function readTlsFiles(files: TlsFiles): TlsMaterial {
  const material = { cert: read(files.cert, 'certificate'), key: read(files.key, 'key'), ca: read(files.ca, 'CA bundle') };
  if ((material.cert === null) !== (material.key === null)) {
    throw new ConfigError('TLS needs both a certificate and its key (tls.cert and tls.key)');
  }
  return material;
}
