import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '../config.js';
import type { Logger } from '../logger.js';
import { readTlsFiles, type TlsFiles } from './TlsFiles.js';

export interface TransportSecurity extends TlsFiles {
  /** Plaintext gRPC; only when explicitly configured, and logged as a warning. */
  insecure?: boolean;
}

/**
 * Server credentials: TLS with cert + key; with a CA as well, mutual TLS (clients must present a
 * certificate signed by that CA). Plaintext only with `insecure: true`.
 */
export function serverCredentials(security: TransportSecurity, log: Logger): grpc.ServerCredentials {
  if (security.insecure) {
    log.warn('gRPC server is running WITHOUT TLS (insecure): anyone who can reach the port can send and read flows');
    return grpc.ServerCredentials.createInsecure();
  }
  const { cert, key, ca } = readTlsFiles(security);
  if (cert === null || key === null) {
    throw new ConfigError('the gRPC server needs tls.cert and tls.key (add tls.ca for mutual TLS), or --insecure for plaintext');
  }
  if (ca === null) log.warn('gRPC server TLS without a client CA: clients are not authenticated (set tls.ca for mutual TLS)');
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
}

/** Client credentials: TLS verifying the server against the CA, presenting cert + key when given (mutual TLS). */
export function channelCredentials(security: TransportSecurity, log: Logger): grpc.ChannelCredentials {
  if (security.insecure) {
    log.warn('gRPC client is connecting WITHOUT TLS (insecure)');
    return grpc.credentials.createInsecure();
  }
  const { cert, key, ca } = readTlsFiles(security);
  if (ca === null) throw new ConfigError('the gRPC client needs tls.ca to verify detectors (plus tls.cert and tls.key for mutual TLS), or --insecure');
  return grpc.credentials.createSsl(ca, key, cert);
}
