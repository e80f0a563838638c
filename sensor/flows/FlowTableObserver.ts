import type { DecodedPacket } from '../decode/DecodedPacket.js';
import type { FlowEndReason } from './FlowRecord.js';

/** What the flow table tells its owner (the Sensor), synchronously, for every packet and flow end. */
export interface FlowTableObserver {
  /**
   * A packet was added to flow `slot`. `forward`: sent by the initiator. `isNew`: it created the
   * flow (the slot was free before). Called before an end that this packet causes (RST, final ACK).
   */
  onFlowPacket(pkt: DecodedPacket, slot: number, forward: boolean, isNew: boolean): void;
  /**
   * The record of flow `slot` ends at packet time `at`. Read the slot's state during the call:
   * afterwards the slot is freed (or, for 'active', reset for the flow's next record).
   */
  onFlowEnd(slot: number, reason: FlowEndReason, at: number): void;
}
