export * from './computeStatus.js';
export * from './desiredObjects.js';
export * from './Reconciler.js';
export * from './renderConfig.js';
export * from './TerminalError.js';
