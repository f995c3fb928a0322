#!/usr/bin/env bash
# Lab 10 on DPDK virtual ports (root; DPDK without hugepages or NICs).
#
# 1. net_pcap: a virtual port that receives a capture and transmits into one
#    (what the grader runs):
#      labs/10-dpdk-vport/topology.sh pcap OBJ     input.pcap in, /tmp/lab10-out.pcap out
#
# 2. net_af_packet on a veth: the port is cli0 of scripts/netns.sh's topology.
#    The client sends the lab's input.pcap out of its eth0 (raw frames, tags
#    and all: no VLAN interface needed, which some kernels lack), and what your
#    program sends back (untagged) is seen with tcpdump on the client's eth0:
#
#      lab10-client                   lab10-sluice
#      eth0 ──────────────────────── cli0 (DPDK net_af_packet, your program)
#
#      labs/10-dpdk-vport/topology.sh up          build it
#      labs/10-dpdk-vport/topology.sh run OBJ     run OBJ on cli0 until Ctrl-C
#      labs/10-dpdk-vport/topology.sh send        from the client: input.pcap's frames out of eth0
#      labs/10-dpdk-vport/topology.sh watch       tcpdump -e on the client's eth0 (the untagged echoes)
#      labs/10-dpdk-vport/topology.sh down        remove it
set -euo pipefail
cd "$(dirname "$0")/../.."
NAME=lab10
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
[ "$(id -u)" = 0 ] || { echo "topology.sh: needs root (DPDK EAL, network namespaces)" >&2; exit 1; }

vlan_map() { # the VLAN id 100 in vlan_cfg[0], as sluice run --map-in reads it
  local map; map=$(mktemp /tmp/lab10-vlan.XXXXXX.json)
  echo '{"maps":{"vlan_cfg":[{"key":"00000000","value":"64000000"}]}}' > "$map"
  echo "$map"
}

case "$1" in
  pcap)
    [ $# -eq 2 ] || usage
    out=/tmp/lab10-out.pcap
    rm -f "$out"
    node dataplane/cli/bin.mjs run "$2" --dpdk "--no-huge -m 256 --no-pci -l 0 --file-prefix=lab10-pcap --vdev=net_pcap0,rx_pcap=labs/10-dpdk-vport/input.pcap,tx_pcap=$out" \
      --port 0 --pass-to none --map-in "$(vlan_map)" --duration 1.5
    echo "transmitted: $out"
    if command -v tcpdump >/dev/null; then tcpdump -e -n -r "$out"; fi
    ;;
  up)
    scripts/netns.sh up "$NAME"
    echo "built $NAME-client (eth0) and $NAME-sluice (cli0)"
    ;;
  run)
    [ $# -eq 2 ] || usage
    exec ip netns exec "$NAME-sluice" node dataplane/cli/bin.mjs run "$2" \
      --dpdk "--no-huge -m 256 --no-pci -l 0 --file-prefix=lab10 --vdev=net_af_packet0,iface=cli0" \
      --port 0 --pass-to none --map-in "$(vlan_map)"
    ;;
  send)
    # A classic pcap (24-byte file header, 16-byte record headers), each frame
    # written as it is to an AF_PACKET socket bound to the client's eth0.
    ip netns exec "$NAME-client" python3 - labs/10-dpdk-vport/input.pcap <<'PY'
import socket, struct, sys
data = open(sys.argv[1], 'rb').read()
order = '<' if data[:4] == bytes.fromhex('d4c3b2a1') else '>'
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('eth0', 0))
at, n = 24, 0
while at + 16 <= len(data):
    caplen = struct.unpack(order + 'IIII', data[at:at + 16])[2]
    s.send(data[at + 16:at + 16 + caplen]); at += 16 + caplen; n += 1
print(f'sent {n} frames from eth0')
PY
    ;;
  watch) exec ip netns exec "$NAME-client" tcpdump -l -e -n -i eth0 ;;
  down) scripts/netns.sh down "$NAME" ;;
  *) usage ;;
esac
