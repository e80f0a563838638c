import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every netids metric, defined once. Names follow `netids_<what>_<unit>_total`; label sets are
 * bounded (reasons, kinds, end reasons and directions come from fixed lists, interfaces from the
 * host's own few, never addresses or pod names).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'netids_process_' });

const r = [registry];

// Sensor
export const packetsCaptured = new Counter({ name: 'netids_packets_captured_total', help: 'Packets captured.', labelNames: ['interface'], registers: r });
export const packetsDropped = new Counter({ name: 'netids_packets_dropped_total', help: 'Packets dropped before decode, by where (kernel, interface).', labelNames: ['where'], registers: r });
export const packetsSkipped = new Counter({ name: 'netids_packets_skipped_total', help: 'Packets that could not be decoded, by reason.', labelNames: ['reason'], registers: r });
export const flowsEmitted = new Counter({ name: 'netids_flows_emitted_total', help: 'Flow records emitted, by end reason.', labelNames: ['reason'], registers: r });
export const flowsActive = new Gauge({ name: 'netids_flows_active', help: 'Flows currently tracked.', registers: r });
export const evictions = new Counter({ name: 'netids_evictions_total', help: 'Entries evicted from bounded tables (flows, hosts), by table.', labelNames: ['table'], registers: r });

// Transport
export const vectorsSent = new Counter({ name: 'netids_vectors_sent_total', help: 'Feature vectors sent to a detector.', registers: r });
export const vectorsDroppedQueue = new Counter({ name: 'netids_vectors_dropped_total', help: 'Feature vectors dropped by the sensor, by reason (queue-full, shutdown).', labelNames: ['reason'], registers: r });
export const vectorsReceived = new Counter({ name: 'netids_vectors_received_total', help: 'Feature vectors received by the detector.', registers: r });
export const vectorsRejected = new Counter({ name: 'netids_vectors_rejected_total', help: 'Feature vectors or messages rejected by the detector, by reason.', labelNames: ['reason'], registers: r });
export const streamsOpen = new Gauge({ name: 'netids_streams_open', help: 'Sensor streams currently open.', registers: r });
export const reconnects = new Counter({ name: 'netids_reconnects_total', help: 'Sensor reconnects to a detector.', registers: r });
export const sendQueueDepth = new Gauge({ name: 'netids_send_queue_vectors', help: 'Vectors waiting in the sensor send queue.', registers: r });

// Detector
export const vectorsScored = new Counter({ name: 'netids_vectors_scored_total', help: 'Feature vectors scored.', registers: r });
export const anomaliesDetected = new Counter({ name: 'netids_anomalies_total', help: 'Anomalies raised (after aggregation), by kind.', labelNames: ['kind'], registers: r });
export const anomalousFlows = new Counter({ name: 'netids_anomalous_flows_total', help: 'Flows that raised or joined an anomaly, by kind.', labelNames: ['kind'], registers: r });
export const modelTrained = new Gauge({ name: 'netids_model_trained', help: '1 when a trained model is scoring, 0 while learning.', registers: r });
export const modelInfo = new Gauge({ name: 'netids_model_info', help: 'The model in use (value 1), labelled by version.', labelNames: ['version'], registers: r });
export const learningProgress = new Gauge({ name: 'netids_learning_progress_ratio', help: 'Progress of the learning phase, 0 to 1.', registers: r });
export const scoringLatency = new Histogram({
  name: 'netids_scoring_latency_seconds',
  help: 'Time from a flow record leaving the sensor to its score.',
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: r,
});

// Kubernetes (operator and the detector's resource writer)
export const watchRestarts = new Counter({ name: 'netids_k8s_watch_restarts_total', help: 'Watches that failed or ended too soon and were retried after a backoff, by resource and reason (error, short).', labelNames: ['resource', 'reason'], registers: r });
export const reconcilesTotal = new Counter({ name: 'netids_operator_reconciles_total', help: 'Reconciles of NetworkIDS resources, by result (success, requeue, error, terminal).', labelNames: ['result'], registers: r });
export const reconcileDuration = new Histogram({
  name: 'netids_operator_reconcile_duration_seconds',
  help: 'Time one reconcile took.',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: r,
});
export const operatorErrors = new Counter({ name: 'netids_operator_errors_total', help: 'Operator errors, by where (apply, status, event, leader).', labelNames: ['where'], registers: r });
export const workQueueDepth = new Gauge({ name: 'netids_operator_queue_depth', help: 'Keys waiting in the operator work queue (ready and delayed).', registers: r });
export const operatorLeader = new Gauge({ name: 'netids_operator_leader', help: '1 while this operator replica holds the leader lease.', registers: r });
export const anomalyWrites = new Counter({ name: 'netids_anomaly_writes_total', help: 'Anomaly resource writes, by operation (create, update, delete).', labelNames: ['op'], registers: r });
export const anomalyWritesDropped = new Counter({ name: 'netids_anomaly_writes_dropped_total', help: 'Anomaly updates not written, by reason (overflow, error, no-owner).', labelNames: ['reason'], registers: r });
export const anomalyWritesCoalesced = new Counter({ name: 'netids_anomaly_writes_coalesced_total', help: 'Anomaly updates merged into a pending write instead of written on their own.', registers: r });
export const anomalyWritesPending = new Gauge({ name: 'netids_anomaly_writes_pending', help: 'Anomaly updates waiting for the write rate limit.', registers: r });

// Per-NetworkIDS readiness, exported by the leading operator from the DaemonSet status it already
// reads for NetworkIDS status (sensors.desired / sensors.ready). Labels: the NetworkIDS's
// namespace and name (bounded by the number of NetworkIDS). The chart's alert NetIDSSensorsNotReady
// uses them. The operator must remove a NetworkIDS's series when it is deleted and reset all of
// them when it stops leading (a standby's stale values would otherwise stay exported).
export const sensorsDesired = new Gauge({ name: 'netids_sensors_desired', help: 'Sensor pods the NetworkIDS DaemonSet should run (desiredNumberScheduled).', labelNames: ['namespace', 'networkids'], registers: r });
export const sensorsReady = new Gauge({ name: 'netids_sensors_ready', help: 'Sensor pods of the NetworkIDS DaemonSet that are ready (numberReady).', labelNames: ['namespace', 'networkids'], registers: r });
