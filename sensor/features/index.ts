export * from './schema.js';
export * from './ContextConfig.js';
export * from './ContextTable.js';
export * from './ContextTracker.js';
export * from './RecentKeys.js';
export * from './decayFactors.js';
export * from './writeFlowFeatures.js';
export * from './expNeg.js';
