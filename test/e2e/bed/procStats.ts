import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStats {
  /** Resident set size (VmRSS), bytes. */
  rssBytes: number;
  /** Open file descriptors (entries of /proc/PID/fd). */
  fds: number;
  /** The program's name (/proc/PID/comm). */
  comm: string;
}

/** Memory and open descriptors of a live process from /proc; undefined when it is gone. */
export function procStats(pid: number): ProcStats | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return { rssBytes: rss ? Number(rss[1]) * 1024 : 0, fds, comm };
  } catch {
    return undefined;
  }
}
