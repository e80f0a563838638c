export * from './AnomalyQuery.js';
export * from './anomaliesToCsv.js';
export * from './assetsDir.js';
export * from './DashboardFeed.js';
export * from './DashboardServer.js';
export * from './RateSeries.js';
export * from './SseHub.js';
export * from './TopTalkers.js';
