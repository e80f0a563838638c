export * from './ServiceHttpServer.js';
