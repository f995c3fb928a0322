// The capture library's public surface: read and write pcap and pcapng.
export { CaptureError, type CaptureWarning } from './capture-error.ts';
export { LinkType, linkTypeName } from './linktype.ts';
export {
  CaptureRecord, MICROSECONDS, NANOSECONDS, unitsToNanos, nanosToUnits,
  type CaptureInterface, type Resolution,
} from './record.ts';
export { MAX_SNAPLEN, MAX_BLOCK, type ByteOrder, type CaptureFormat } from './decoder.ts';
export {
  readCapture, readCaptureFile, openCapture, CaptureReader, CaptureStream,
  type ReadOptions, type StreamOptions,
} from './reader.ts';
export { FrameBurst } from './burst.ts';
export {
  CaptureWriter, createCaptureFile, encodeCapture,
  type WriteOptions, type InterfaceOptions, type FrameToWrite, type ByteSink,
} from './writer.ts';
