export * from './EventRecorder.js';
export * from './NetworkIDSController.js';
export * from './RateLimiter.js';
export * from './WorkQueue.js';
