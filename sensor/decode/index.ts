export * from './DecodedPacket.js';
export * from './Decoder.js';
export { AddressFormatter } from './AddressFormatter.js';
