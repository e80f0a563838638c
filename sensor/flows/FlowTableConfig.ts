/**
 * Limits and timeouts of the flow table. Times are seconds of packet time (capture timestamps),
 * never wall-clock time, so a file and a live capture of the same packets give the same records.
 */
export interface FlowTableConfig {
  /** Most flows tracked at once; a new flow when full evicts the least recently seen one. */
  maxFlows: number;
  /**
   * TCP flow whose initiator has sent only SYNs and the responder nothing: ends ('syn-timeout') this
   * long after the last SYN. A UDP flow the responder has not answered ends ('idle') after this
   * too, so UDP floods and probes are scored within seconds.
   */
  synTimeoutS: number;
  /** Any other TCP flow ends ('idle') after this long without a packet. */
  tcpIdleTimeoutS: number;
  /** UDP flow idle timeout ('idle'). */
  udpIdleTimeoutS: number;
  /** ICMP and other protocols idle timeout ('idle'). */
  otherIdleTimeoutS: number;
  /**
   * After a FIN from each side, the flow ends ('fin') at the next pure ACK (the final ACK, counted
   * in the record) or this long after the last packet, whichever comes first.
   */
  closeLingerS: number;
  /**
   * A flow still running this long after its record started emits a record ('active') when its
   * next packet arrives, then continues with fresh counters (a new record starting at that packet;
   * direction and TCP handshake state are kept).
   */
  activeTimeoutS: number;
}

export const DEFAULT_FLOW_TABLE_CONFIG: Readonly<FlowTableConfig> = Object.freeze({
  maxFlows: 262_144,
  synTimeoutS: 3,
  tcpIdleTimeoutS: 60,
  udpIdleTimeoutS: 5,
  otherIdleTimeoutS: 30,
  closeLingerS: 1,
  activeTimeoutS: 120,
});

/** Defaults overridden by `partial`; throws a RangeError naming the field for a value out of range. */
export function resolveFlowTableConfig(partial: Partial<FlowTableConfig> = {}): FlowTableConfig {
  const c: FlowTableConfig = { ...DEFAULT_FLOW_TABLE_CONFIG };
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined) continue;
    if (!(k in c)) throw new RangeError(`unknown flow table setting "${k}"`);
    (c as unknown as Record<string, unknown>)[k] = v;
  }
  if (!Number.isInteger(c.maxFlows) || c.maxFlows < 1 || c.maxFlows > 1 << 26) {
    throw new RangeError(`maxFlows must be an integer in [1, ${1 << 26}], got ${String(c.maxFlows)}`);
  }
  for (const k of [
    'synTimeoutS',
    'tcpIdleTimeoutS',
    'udpIdleTimeoutS',
    'otherIdleTimeoutS',
    'closeLingerS',
    'activeTimeoutS',
  ] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(`${k} must be a positive number of seconds, got ${String(v)}`);
    }
  }
  return c;
}
