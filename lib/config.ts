import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** A configuration value that is wrong; the message names the field, the source and what is allowed. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigSources {
  /** A YAML or JSON file (lowest precedence after the schema's defaults). */
  file?: string;
  /**
   * Read only this top-level key of the file (e.g. `sensor` in the config.yaml the operator
   * renders, which holds one section per component). Used only when the file has that key as a
   * mapping; a file without it is read whole (a plain flat file still works).
   */
  section?: string;
  /** Environment variables: NETIDS_<KEY> for a top-level key, NETIDS_<SECTION>__<KEY> for a nested one. */
  env?: NodeJS.ProcessEnv;
  /** Command-line flags, already parsed, as dotted paths (`"sensor.maxFlows": "1000"`); highest precedence. */
  flags?: Record<string, unknown>;
}

const ENV_PREFIX = 'NETIDS_';
/** Environment variables that are not configuration. */
const ENV_IGNORED = new Set(['NETIDS_LOG_LEVEL']);

/**
 * Load one component's configuration: the schema's defaults, then the file, then the environment,
 * then flags; validated by the schema. Strings from the environment and flags that look like
 * numbers or booleans are converted; the schema decides what is valid.
 */
export function loadConfig<S extends z.ZodType>(schema: S, sources: ConfigSources = {}): z.infer<S> {
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  if (sources.file) {
    const whole = readConfigFile(sources.file);
    const part = sources.section === undefined ? undefined : whole[sources.section];
    const inSection = part !== null && typeof part === 'object' && !Array.isArray(part);
    const fromFile = inSection ? (part as Record<string, unknown>) : whole;
    const from = inSection ? `file ${sources.file} (section ${sources.section})` : `file ${sources.file}`;
    for (const [path, value] of flatten(fromFile)) setPath(merged, path, value, origin, from);
  }
  for (const [name, raw] of Object.entries(sources.env ?? {})) {
    if (!name.startsWith(ENV_PREFIX) || ENV_IGNORED.has(name) || raw === undefined) continue;
    const path = name
      .slice(ENV_PREFIX.length)
      .split('__')
      .map(camelFromScreaming)
      .join('.');
    setPath(merged, path, coerce(raw), origin, `environment ${name}`);
  }
  for (const [path, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    setPath(merged, path, typeof value === 'string' ? coerce(value) : value, origin, `flag --${kebab(path)}`);
  }
  const result = schema.safeParse(merged);
  if (!result.success) throw new ConfigError(formatIssues(result.error, origin));
  return result.data;
}

/** Turn zod issues into one line per bad field: `field (from source): message`. */
export function formatIssues(error: z.ZodError, origin = new Map<string, string>()): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.join('.') || '(root)';
    const from = origin.get(path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown setting(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    return `  ${path}${from ? ` (from ${from})` : ''}: ${message}`;
  });
  return `invalid configuration:\n${lines.join('\n')}`;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a mapping of settings`);
  }
  return parsed as Record<string, unknown>;
}

function* flatten(obj: Record<string, unknown>, prefix = ''): Generator<[string, unknown]> {
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) yield* flatten(v as Record<string, unknown>, path);
    else yield [path, v];
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown, origin: Map<string, string>, from: string): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
  origin.set(path, from);
}

function coerce(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

function camelFromScreaming(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function kebab(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/\./g, '-');
}
