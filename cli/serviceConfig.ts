import type { z } from 'zod';
import { loadConfig } from '../lib/config.js';
import { parseFlags } from './parseFlags.js';

/**
 * The configuration of a long-running service (sensor, detector): string flags mapped to config
 * paths by `flagPaths`, plus --insecure and --config FILE (its `section` when it has one), over
 * NETIDS_* environment variables, validated by the service's schema.
 */
export function loadServiceConfig<S extends z.ZodType>(argv: string[], flagPaths: Record<string, string>, schema: S, section: string): z.infer<S> {
  const { values } = parseFlags(argv, {
    ...Object.fromEntries(Object.keys(flagPaths).map((k) => [k, { type: 'string' as const }])),
    insecure: { type: 'boolean' },
    config: { type: 'string' },
  });
  const given = values as Record<string, string | boolean | undefined>;
  const flags: Record<string, unknown> = {};
  for (const [flag, path] of Object.entries(flagPaths)) if (given[flag] !== undefined) flags[path] = given[flag];
  if (given.insecure) flags.insecure = true;
  return loadConfig(schema, { file: given.config as string | undefined, section, env: process.env, flags });
}
