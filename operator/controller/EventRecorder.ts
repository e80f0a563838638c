import { randomBytes } from 'node:crypto';
import type { Logger } from '../../lib/logger.js';
import { operatorErrors } from '../../lib/metrics.js';
import type { KubeClient } from '../../lib/k8s/KubeClient.js';
import type { KubeObject } from '../../lib/k8s/KubeObject.js';
import { microTime } from '../../lib/k8s/LeaderElector.js';
import { resourcePath } from '../../lib/k8s/resourcePath.js';

/** Writes events.k8s.io/v1 Events about an object (shown by `kubectl describe`); failures are logged, never thrown. */
export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly controller: string,
    private readonly instance: string,
    private readonly logger?: Logger,
  ) {}

  async record(regarding: KubeObject, type: 'Normal' | 'Warning', reason: string, action: string, note: string): Promise<void> {
    const namespace = regarding.metadata?.namespace ?? 'default';
    const name = `${regarding.metadata?.name ?? 'object'}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`;
    try {
      await this.client.create(resourcePath('Event', namespace), {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace },
        eventTime: microTime(Date.now()),
        reportingController: this.controller,
        reportingInstance: this.instance.slice(0, 128),
        action,
        reason,
        type,
        note: note.slice(0, 1024),
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: regarding.metadata?.name,
          namespace,
          uid: regarding.metadata?.uid,
          resourceVersion: regarding.metadata?.resourceVersion,
        },
      });
    } catch (err) {
      operatorErrors.inc({ where: 'event' });
      this.logger?.warn({ err: (err as Error).message, reason }, 'could not record event');
    }
  }
}
