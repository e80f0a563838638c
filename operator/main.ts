import { createServer, type Server } from 'node:http';
import type { Logger } from '../lib/logger.js';
import { registry } from '../lib/metrics.js';
import { Operator, type OperatorOptions } from './Operator.js';

export interface RunningOperator {
  operator: Operator;
  server: Server;
  stop(): Promise<void>;
}

/**
 * Composes the operator process: the Operator plus an HTTP server with /metrics, /healthz and
 * /readyz (ready once this replica is either leading or standing by), stopping gracefully.
 */
export async function startOperator(options: OperatorOptions & { metricsPort: number; logger: Logger }): Promise<RunningOperator> {
  const operator = new Operator(options);
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
    } else if (req.url === '/healthz' || req.url === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(operator.isLeader ? 'ok (leader)\n' : 'ok (standby)\n');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.metricsPort, resolve);
  });
  await operator.start();
  options.logger.info({ identity: operator.identity, metricsPort: options.metricsPort }, 'operator started');
  return {
    operator,
    server,
    async stop() {
      await operator.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
