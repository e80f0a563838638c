export * from './FlowRecord.js';
export * from './FlowTable.js';
export * from './FlowTableConfig.js';
export * from './FlowTableObserver.js';
export * from './PacketKey.js';
export * from './parseIpWords.js';
export * from './hashWords.js';
