// The packet library's public surface: build frames, dissect them, check checksums.
export { AddressError, PacketError } from './errors.ts';
export {
  parseMac, formatMac, parseIPv4, formatIPv4, parseIPv6, formatIPv6, type AddressInput,
} from './address.ts';
export { internetChecksum, ipv4HeaderChecksum, transportChecksum, pseudoHeaderSum, sum16, fold } from './checksum.ts';
export {
  DEFAULTS, EtherType, IpProto,
  type EthSpec, type VlanSpec, type ArpSpec, type IPv4Spec, type IPv6Spec, type TcpSpec, type TcpOptions,
  type UdpSpec, type IcmpSpec, type PayloadSpec, type LayerSpec, type LayerName, type BuildOptions, type Bytes,
} from './spec.ts';
export { packet, buildPacket, PacketBuilder, tcpFlags } from './builder.ts';
export { layersFrom, checkLayerFields, LAYER_FIELDS } from './describe.ts';
export { dissect, fieldAt, fieldsAt, tcpFlagText, type Dissection, type Layer, type Field, type FieldValue } from './dissect.ts';
export { checkChecksums, checksumsOk, fixChecksums, type ChecksumCheck } from './verify.ts';
export { diffPackets, formatDiff, type FieldDiff } from './diff.ts';
