// Link-layer header types (the LINKTYPE_ values of tcpdump.org/linktypes.html),
// the ones a user is likely to meet. XDP programs see Ethernet frames, so
// ETHERNET is the only one sluice runs; the others are named so an error can
// say what the capture holds instead of printing a bare number.

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  IEEE802_5: 6,
  PPP: 9,
  FDDI: 10,
  RAW: 101,
  IEEE802_11: 105,
  LOOP: 108,
  LINUX_SLL: 113,
  IEEE802_11_RADIOTAP: 127,
  IPV4: 228,
  IPV6: 229,
  NETLINK: 253,
  LINUX_SLL2: 276,
} as const;

const NAMES = new Map<number, string>(Object.entries(LinkType).map(([name, value]) => [value, name]));
// tcpdump prints libpcap's DLT names; say both where they differ.
const DLT_NAMES = new Map<number, string>([[1, 'EN10MB'], [113, 'LINUX_SLL'], [101, 'RAW']]);

/** "1 (ETHERNET)", "113 (LINUX_SLL)", "147 (unknown)". */
export function linkTypeName(linkType: number): string {
  const name = NAMES.get(linkType);
  if (name === undefined) return `${linkType} (unknown)`;
  const dlt = DLT_NAMES.get(linkType);
  return dlt !== undefined && dlt !== name ? `${linkType} (${name}, DLT_${dlt})` : `${linkType} (${name})`;
}
