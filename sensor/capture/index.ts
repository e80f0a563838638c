export type { PacketSink } from './PacketSink.js';
export { PcapFormatError } from './PcapFormatError.js';
export { PcapStreamParser, type CaptureFormat, type PcapStreamParserOptions } from './PcapStreamParser.js';
export { readPcapFile, type PcapReadStats, type ReadPcapFileOptions } from './readPcapFile.js';
export { LiveCapture, type CaptureCounters, type InterfaceCaptureCounters, type LiveCaptureOptions } from './LiveCapture.js';
export { LiveCaptureError, type LiveCaptureErrorKind } from './LiveCaptureError.js';
export { listCaptureInterfaces } from './listCaptureInterfaces.js';
