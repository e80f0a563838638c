// The parts of Kubernetes objects the end-to-end test and the soak benchmark read, and podReady.

export interface Obj {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; uid?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}
export interface List<T = Obj> {
  items: T[];
}
export interface PodObj extends Obj {
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

export const podReady = (p: PodObj): boolean => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
