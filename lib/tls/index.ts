export * from './TlsFiles.js';
export * from './grpcCredentials.js';
