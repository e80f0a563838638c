import { z } from 'zod';

/**
 * The NetworkIDS a sensor or detector serves, as config: `{namespace, name}`, or the string
 * `namespace/name` (how the operator passes it, in the NETIDS_NETWORKIDS environment variable).
 * Empty when the service runs outside Kubernetes.
 */
export const NetworkIdsRefSchema = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const slash = v.indexOf('/');
    return slash < 0 ? v : { namespace: v.slice(0, slash), name: v.slice(slash + 1) };
  },
  z
    .object({ namespace: z.string().default(''), name: z.string().default('') })
    .strict()
    .refine((r) => (r.namespace === '') === (r.name === ''), 'give both namespace and name (namespace/name), or neither')
    .default({ namespace: '', name: '' }),
);
