import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './Command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parse a subcommand's flags; an unknown flag or a missing value is a UsageError naming it. */
export function parseFlags<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A flag that must be a finite number within [min, max]. */
export function numberFlag(value: string | undefined, name: string, min = -Infinity, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number between ${min} and ${max}, got "${value}"`);
  }
  return n;
}
