/** A `netids` subcommand: cli/commands/<name>.ts default-exports one. */
export interface Command {
  /** One line for `netids --help`. */
  summary: string;
  /** Full usage text for `netids <name> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** A wrong flag or argument: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
