export * from './AnomalyWriter.js';
export * from './PodResolver.js';
export * from './StatusSummaryPatcher.js';
export * from './anomalyResourceName.js';
export * from './DetectorKubernetes.js';
