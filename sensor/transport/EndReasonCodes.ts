import type { FlowEndReason } from '../flows/FlowRecord.js';

/** FlowEndReason ↔ proto EndReason numbers (index = enum value; 0 is UNSPECIFIED). */
export const END_REASON_CODES: readonly (FlowEndReason | null)[] = [
  null,
  'fin',
  'rst',
  'syn-timeout',
  'idle',
  'active',
  'evicted',
  'flush',
];

const CODE = new Map<FlowEndReason, number>(
  END_REASON_CODES.flatMap((r, i) => (r === null ? [] : [[r, i] as [FlowEndReason, number]])),
);

export function endReasonCode(reason: FlowEndReason): number {
  return CODE.get(reason) ?? 0;
}

/** The end reason for a wire code, or null for UNSPECIFIED / a code this build does not know. */
export function endReasonFromCode(code: number): FlowEndReason | null {
  return END_REASON_CODES[code] ?? null;
}
