import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The one way netids logs: structured JSON lines on stderr (stdout is kept for command output),
 * level from NETIDS_LOG_LEVEL or the caller. Components take a child logger: `logger.child({ component: 'sensor' })`.
 */
export function createLogger(level: string = process.env.NETIDS_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}
