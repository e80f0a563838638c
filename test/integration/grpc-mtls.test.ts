import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../sensor/features/schema.js';
import { createFlowIngestClient } from '../../sensor/transport/FlowIngestProto.js';
import { freePort, getText, kill, metric, netids, type Proc, projectRoot } from './grpcProcesses.js';

// Mutual TLS between real processes: certificates made with openssl in a temp dir.

let dir = '';
let det: Proc;
let port = 0;
let mport = 0;
const f = (name: string): string => join(dir, name);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, and certificates it signs (server: localhost + 127.0.0.1; client). */
function makePki(): void {
  const ca = (name: string): void => {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
  };
  const issue = (name: string, caName: string, ext: string): void => {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    writeFileSync(f(`${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`]);
  };
  ca('ca');
  ca('rogue-ca');
  issue('server', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  issue('rogue', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
}

/** Tries a Stream with these credentials; resolves to 'welcome' or the error's status code. */
function attempt(creds: grpc.ChannelCredentials): Promise<string | number> {
  const client = createFlowIngestClient(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': 'localhost' });
  return new Promise((res) => {
    const call = client.Stream({ deadline: Date.now() + 10_000 });
    call.on('data', (m: { body?: string }) => {
      if (m.body === 'welcome') {
        res('welcome');
        call.cancel();
      }
    });
    call.on('error', (e: grpc.ServiceError) => res(e.code));
    call.on('status', () => undefined);
    call.write({ hello: { sensorId: 't', node: 'tls-node', featureSchemaVersion: FEATURE_SCHEMA_VERSION, featureNames: [...FEATURE_NAMES] } });
  }).finally(() => client.close()) as Promise<string | number>;
}

describe('mutual TLS between sensor and detector', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netids-mtls-'));
    makePki();
    port = await freePort();
    mport = await freePort();
    det = netids(
      ['detector', '--listen', `127.0.0.1:${port}`, '--metrics-port', String(mport), '--tls-cert', f('server.crt'), '--tls-key', f('server.key'), '--tls-ca', f('ca.crt')],
      'detector',
    );
    await det.waitLog((l) => l.msg === 'detector service started');
  });
  afterAll(async () => {
    kill(det, 'SIGKILL');
    await det.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a sensor with a certificate from the CA streams flows', async () => {
    const sensor = netids(
      ['sensor', '--detectors', `127.0.0.1:${port}`, '--tls-ca', f('ca.crt'), '--tls-cert', f('client.crt'), '--tls-key', f('client.key'),
        '--pcap', resolve(projectRoot, 'test', 'fixtures', 'capture', 'http.pcap'), '--metrics-port', '0'],
      'sensor',
    );
    expect(await sensor.exited).toBe(0);
    const done = (await sensor.waitLog((l) => l.msg === 'delivered the replay')).counters as Record<string, number>;
    expect(done.acked).toBeGreaterThan(0);
    expect(done.acked).toBe(done.queued);
    expect(sensor.logs.some((l) => /WITHOUT TLS/.test(String(l.msg)))).toBe(false);
  });

  it('refuses clients without a valid certificate; the detector keeps serving', async () => {
    const ca = readFileSync(f('ca.crt'));
    expect(await attempt(grpc.credentials.createSsl(ca, readFileSync(f('client.key')), readFileSync(f('client.crt'))))).toBe('welcome');
    expect(await attempt(grpc.credentials.createSsl(ca))).toBe(grpc.status.UNAVAILABLE); // no client certificate
    expect(await attempt(grpc.credentials.createSsl(ca, readFileSync(f('rogue.key')), readFileSync(f('rogue.crt'))))).toBe(grpc.status.UNAVAILABLE);
    expect(await attempt(grpc.credentials.createInsecure())).toBe(grpc.status.UNAVAILABLE); // plaintext
    const m = (await getText(`http://127.0.0.1:${mport}/metrics`)).text;
    expect(metric(m, 'netids_streams_open')).toBe(0);
    expect((await getText(`http://127.0.0.1:${mport}/healthz`)).status).toBe(200);
  });
});
