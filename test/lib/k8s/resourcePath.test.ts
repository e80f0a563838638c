import { describe, expect, it } from 'vitest';
import { resourcePath } from '../../../lib/k8s/resourcePath.js';
import { microTime } from '../../../lib/k8s/LeaderElector.js';

describe('resourcePath', () => {
  it('builds core, group, namespaced, cluster and subresource paths', () => {
    expect(resourcePath('Pod')).toBe('/api/v1/pods');
    expect(resourcePath('Pod', 'a')).toBe('/api/v1/namespaces/a/pods');
    expect(resourcePath('Deployment', 'a', 'b')).toBe('/apis/apps/v1/namespaces/a/deployments/b');
    expect(resourcePath('NetworkIDS', 'a', 'b', 'status')).toBe('/apis/netids.io/v1alpha1/namespaces/a/networkids/b/status');
    expect(resourcePath('Node', 'ignored', 'n1')).toBe('/api/v1/nodes/n1');
    expect(() => resourcePath('Nope')).toThrow(/unknown kind/);
  });
  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(Date.UTC(2025, 0, 2, 3, 4, 5, 678))).toBe('2025-01-02T03:04:05.678000Z');
  });
});
