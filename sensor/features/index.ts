export * from './schema.js';
export * from './ContextConfig.js';
export * from './ContextTable.js';
export * from './ContextTracker.js';
export * from './RecentKeys.js';
export * from './writeFlowFeatures.js';
export * from './expNeg.js';
export * from './DecayClock.js';
