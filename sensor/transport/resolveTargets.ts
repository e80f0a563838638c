import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** One detector address to open a stream to. */
export interface DetectorTarget {
  /** gRPC target with the resolved address, e.g. `ipv4:10.0.0.7:7070` or `ipv6:[fd00::7]:7070`. */
  address: string;
  /** The host name as configured (the TLS server name when it is not an address). */
  host: string;
  port: number;
  /** The configured endpoint this target came from. */
  endpoint: string;
}

/** Splits `host:port` or `[v6]:port`; throws a clear error for anything else. */
export function parseEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(endpoint) ?? /^([^:[\]]+):(\d+)$/.exec(endpoint);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`detector endpoint "${endpoint}" must be host:port (or [ipv6]:port) with a port 1-65535`);
  }
  return { host: m[1], port };
}

function targetFor(ip: string, family: number, host: string, port: number, endpoint: string): DetectorTarget {
  const address = family === 6 ? `ipv6:[${ip}]:${port}` : `ipv4:${ip}:${port}`;
  return { address, host, port, endpoint };
}

/**
 * Every address the configured endpoints stand for, resolved now: a DNS name (e.g. a headless
 * Service) contributes all its addresses (dns.lookup all: true, the system resolver), an address
 * contributes itself. Names that do not resolve are skipped and reported in `errors`.
 */
export async function resolveTargets(endpoints: readonly string[]): Promise<{ targets: DetectorTarget[]; errors: string[] }> {
  const targets: DetectorTarget[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const endpoint of endpoints) {
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseEndpoint(endpoint));
    } catch (err) {
      errors.push((err as Error).message);
      continue;
    }
    const family = isIP(host);
    let resolved: { address: string; family: number }[];
    if (family !== 0) resolved = [{ address: host, family }];
    else {
      try {
        resolved = await lookup(host, { all: true });
      } catch (err) {
        errors.push(`cannot resolve ${host}: ${(err as Error).message}`);
        continue;
      }
    }
    for (const r of resolved) {
      const t = targetFor(r.address, r.family, host, port, endpoint);
      if (seen.has(t.address)) continue;
      seen.add(t.address);
      targets.push(t);
    }
  }
  return { targets, errors };
}
