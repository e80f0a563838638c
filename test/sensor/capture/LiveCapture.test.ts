import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveCapture } from '../../../sensor/capture/LiveCapture.js';
import { LiveCaptureError } from '../../../sensor/capture/LiveCaptureError.js';
import { listCaptureInterfaces } from '../../../sensor/capture/listCaptureInterfaces.js';
import { DecodedPacket, TCP_ACK, TCP_FIN, TCP_SYN } from '../../../sensor/decode/DecodedPacket.js';
import { Decoder } from '../../../sensor/decode/Decoder.js';
import { NetnsPair, isRoot, waitFor } from './netnsPair.js';

describe.skipIf(!isRoot())('LiveCapture on a veth pair between two namespaces', () => {
  let net: NetnsPair;
  let www: string;

  beforeAll(async () => {
    net = new NetnsPair('nicap');
    www = mkdtempSync(path.join(tmpdir(), 'nicap-www-'));
    writeFileSync(path.join(www, 'index.html'), 'x'.repeat(5000));
    net.background(net.b, 'python3', ['-m', 'http.server', '8000', '--bind', '10.99.0.2'], www);
    const up = await waitFor(() => {
      try {
        net.run(net.a, 'curl', '-s', '-o', '/dev/null', '--max-time', '1', 'http://10.99.0.2:8000/');
        return true;
      } catch {
        return false;
      }
    });
    expect(up).toBe(true);
  });

  afterAll(() => {
    net?.destroy();
    if (www) rmSync(www, { recursive: true, force: true });
  });

  it('lists the up, non-loopback interfaces of a namespace and of this host', async () => {
    expect(await listCaptureInterfaces(net.b)).toEqual(['veth0']);
    const here = await listCaptureInterfaces();
    expect(here).not.toContain('lo');
  });

  it('sees every packet and byte of real HTTP exchanges, with their TCP flags', async () => {
    const decoder = new Decoder();
    const out = new DecodedPacket();
    let syn = 0;
    let synAck = 0;
    let fin = 0;
    let toServer = 0;
    let wire = 0;
    const capture = new LiveCapture(
      (lt, buf, off, cap, wireLen, ts) => {
        wire += wireLen;
        if (!decoder.decode(lt, buf, off, cap, wireLen, ts, out)) return;
        if (out.tcpFlags === TCP_SYN && out.dstPort === 8000) syn++;
        if (out.tcpFlags === (TCP_SYN | TCP_ACK) && out.srcPort === 8000) synAck++;
        if (out.tcpFlags & TCP_FIN) fin++;
        if (out.dst === '10.99.0.2') toServer++;
      },
      { netns: net.b, statsIntervalMs: 0 },
    );
    await capture.start();
    try {
      const before = net.linkCounters(net.b);
      for (let i = 0; i < 3; i++) net.run(net.a, 'curl', '-s', '-o', '/dev/null', 'http://10.99.0.2:8000/index.html');
      const after = net.linkCounters(net.b);
      const expected = after.packets - before.packets;
      expect(await waitFor(() => capture.counters().packets >= expected, 10_000)).toBe(true);
      await capture.pollStats();
      const c = await capture.stop();
      expect(c.packets).toBe(expected);
      expect(c.bytes).toBe(after.bytes - before.bytes);
      expect(wire).toBe(c.bytes);
      expect(c.kernelDrops).toBe(0);
      expect(c.interfaces).toHaveLength(1);
      expect(c.interfaces[0]).toMatchObject({ iface: 'veth0', linkType: 1, running: false });
      expect(c.interfaces[0].receivedByFilter).toBeGreaterThanOrEqual(expected);
      expect(syn).toBe(3);
      expect(synAck).toBe(3);
      expect(fin).toBeGreaterThanOrEqual(6);
      expect(toServer).toBeGreaterThan(9);
    } finally {
      await capture.stop();
    }
  });

  it('applies a BPF filter', async () => {
    let packets = 0;
    let icmp = 0;
    const decoder = new Decoder();
    const out = new DecodedPacket();
    const capture = new LiveCapture(
      (lt, buf, off, cap, wireLen, ts) => {
        packets++;
        if (decoder.decode(lt, buf, off, cap, wireLen, ts, out) && out.protocol === 1) icmp++;
      },
      { netns: net.b, interfaces: ['veth0'], filter: 'icmp', promiscuous: false, statsIntervalMs: 50 },
    );
    await capture.start();
    net.run(net.a, 'curl', '-s', '-o', '/dev/null', 'http://10.99.0.2:8000/index.html');
    net.run(net.a, 'ping', '-c', '3', '-i', '0.05', '10.99.0.2');
    expect(await waitFor(() => packets >= 6)).toBe(true);
    const c = await capture.stop();
    expect(c.packets).toBe(6);
    expect(icmp).toBe(6);
  });

  it('counts kernel drops when the reader falls behind a flood', async () => {
    let stalled = false;
    const capture = new LiveCapture(
      () => {
        if (!stalled) {
          // Block the event loop once, long enough for tcpdump's pipe and the kernel ring to overflow.
          stalled = true;
          const until = Date.now() + 1500;
          while (Date.now() < until) {
            // busy: the reader is not reading
          }
        }
      },
      { netns: net.b, interfaces: ['veth0'], bufferKiB: 64, filter: 'udp', statsIntervalMs: 0 },
    );
    await capture.start();
    const flood = net.background(net.a, 'hping3', ['-q', '--udp', '-p', '9', '-d', '1200', '--flood', '10.99.0.2']);
    expect(await waitFor(() => stalled)).toBe(true);
    let drops = 0;
    expect(
      await waitFor(async () => {
        await capture.pollStats();
        drops = capture.counters().kernelDrops;
        return drops > 0;
      }),
    ).toBe(true);
    flood.kill('SIGKILL');
    const c = await capture.stop();
    expect(c.kernelDrops).toBeGreaterThanOrEqual(drops);
    expect(c.packets).toBeGreaterThan(0);
  });

  it('names a missing interface', async () => {
    const capture = new LiveCapture(() => undefined, { netns: net.b, interfaces: ['nosuch0'] });
    const err = await capture.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveCaptureError);
    expect(err).toMatchObject({ kind: 'no-such-interface', iface: 'nosuch0' });
    expect((err as Error).message).toMatch(/interface "nosuch0" does not exist/);
  });

  it('quotes a bad filter and tcpdump\'s complaint', async () => {
    const capture = new LiveCapture(() => undefined, { netns: net.b, interfaces: ['veth0'], filter: 'tcp port eighty and' });
    const err = await capture.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'bad-filter' });
    expect((err as Error).message).toMatch(/bad capture filter "tcp port eighty and": .*(syntax|parse|unknown)/);
  });

  it('says root or CAP_NET_RAW when not allowed to capture', async () => {
    const capture = new LiveCapture(() => undefined, {
      netns: net.b,
      interfaces: ['veth0'],
      commandPrefix: ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'],
    });
    const err = await capture.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'permission', iface: 'veth0' });
    expect((err as Error).message).toMatch(/root or with CAP_NET_RAW/);
  });

  it('says so when tcpdump is missing', async () => {
    const capture = new LiveCapture(() => undefined, { interfaces: ['veth0'], tcpdumpPath: '/nonexistent/tcpdump' });
    const err = await capture.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'tcpdump-missing' });
    expect((err as Error).message).toMatch(/install tcpdump/);
  });
});
