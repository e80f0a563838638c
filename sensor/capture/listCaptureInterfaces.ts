import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;

const execFileAsync = promisify(execFile);

/**
 * Names of the interfaces worth capturing on by default: every interface that is up and not a
 * loopback. Reads /sys/class/net for this process's namespace, or asks `ip -j link` about
 * another named network namespace.
 */
export async function listCaptureInterfaces(netns?: string): Promise<string[]> {
  if (netns !== undefined) {
    const { stdout } = await execFileAsync('ip', ['-n', netns, '-j', 'link', 'show']);
    const links = JSON.parse(stdout) as { ifname: string; flags?: string[]; operstate?: string }[];
    return links
      .filter((l) => l.flags?.includes('UP') && !l.flags.includes('LOOPBACK') && l.operstate !== 'DOWN')
      .map((l) => l.ifname.replace(/@.*$/, ''))
      .sort();
  }
  const names = await readdir('/sys/class/net');
  const up: string[] = [];
  for (const name of names) {
    try {
      const flags = parseInt(await readFile(`/sys/class/net/${name}/flags`, 'utf8'), 16);
      const oper = (await readFile(`/sys/class/net/${name}/operstate`, 'utf8')).trim();
      if (flags & IFF_UP && !(flags & IFF_LOOPBACK) && oper !== 'down' && oper !== 'lowerlayerdown') up.push(name);
    } catch {
      // The interface vanished while we looked.
    }
  }
  return up.sort();
}
