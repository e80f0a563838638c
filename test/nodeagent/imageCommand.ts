// What the test node agent runs for a container, given its image: there are no images here, so
// each image name maps to a local program.
//   - the netids image (any tag of `netidsImage`): `node /opt/netids/bin/netids.js ARGS`, like the
//     image's ENTRYPOINT ["node", "/app/bin/netids.js"]; the project is bind-mounted there
//     (NETIDS_IMAGE_DIR), as an image's files are, so a volume the pod mounts over a directory
//     holding the project (an emptyDir on /tmp, say) does not hide it;
//   - busybox (any tag): the container's own command and args, run with this machine's tools
//     (sh, curl, nmap, hping3 …);
//   - nginx (any tag): `python3 -m http.server PORT` serving an empty directory (port: the first
//     containerPort, else 80).
// Anything else is refused with a clear error (the pod's container then waits with that reason).
import path from 'node:path';
import type { Container } from './podTypes.js';

/** Where the netids "image" (the project, bind-mounted) appears inside its containers. */
export const NETIDS_IMAGE_DIR = '/opt/netids';

/** Whether `image` is the netids image. */
export function isNetidsImage(image: string, o: Pick<ImageOptions, 'netidsImage'>): boolean {
  return repository(image) === o.netidsImage;
}

export class UnknownImageError extends Error {
  override name = 'UnknownImageError';
}

export interface ImageOptions {
  /** Image repository that stands for netids (e.g. `netids-e2e/netids`). */
  netidsImage: string;
  /** Project root holding bin/netids.js. */
  projectRoot: string;
  /** A directory the nginx stand-in serves. */
  wwwDir: string;
}

function repository(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

export function imageCommand(container: Container, o: ImageOptions): string[] {
  const repo = repository(container.image);
  const base = repo.split('/').pop() ?? repo;
  if (repo === o.netidsImage) {
    const entry = [process.execPath, path.join(NETIDS_IMAGE_DIR, 'bin', 'netids.js')];
    // A command replaces the ENTRYPOINT, as in a real runtime.
    if (container.command?.length) return [...container.command, ...(container.args ?? [])];
    return [...entry, ...(container.args ?? ['--help'])];
  }
  if (base === 'busybox') {
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    if (argv.length === 0) throw new UnknownImageError(`busybox container ${container.name} has no command`);
    return argv;
  }
  if (base === 'nginx') {
    const port = container.ports?.[0]?.containerPort ?? 80;
    return ['python3', '-m', 'http.server', String(port), '--bind', '0.0.0.0', '--directory', o.wwwDir];
  }
  throw new UnknownImageError(`image ${container.image} is not known to the test node agent`);
}
