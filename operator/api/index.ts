export * from './NetworkIDS.js';
export * from './defaults.js';
