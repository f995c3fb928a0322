#!/usr/bin/env bash
# Lab 9's topology: three namespaces from scripts/netns.sh, named lab9-*:
#
#   lab9-client                lab9-sluice                 lab9-server
#   eth0 10.0.1.1/24 ──────── cli0        srv0 ─────────── eth0 10.0.2.1/24
#
# Your responder runs on cli0 (AF_XDP sockets, PASS frames dropped), and
# answers for 10.0.1.254 with cli0's own MAC, so the client can ping it.
#
#   labs/09-afxdp-netns/topology.sh up          build it (root)
#   labs/09-afxdp-netns/topology.sh run OBJ     run OBJ on cli0 until Ctrl-C (another terminal: ping)
#   labs/09-afxdp-netns/topology.sh ping        ping 10.0.1.254 from the client, 3 times
#   labs/09-afxdp-netns/topology.sh neigh       the client's ARP entry for 10.0.1.254
#   labs/09-afxdp-netns/topology.sh down        remove it
set -euo pipefail
cd "$(dirname "$0")/../.."
NAME=lab9
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
[ "$(id -u)" = 0 ] || { echo "topology.sh: needs root (network namespaces, AF_XDP)" >&2; exit 1; }

case "$1" in
  up)
    scripts/netns.sh up "$NAME"
    echo "built $NAME-client, $NAME-sluice, $NAME-server; cli0's MAC: $(ip -n $NAME-sluice -br link show cli0 | awk '{print $3}')"
    ;;
  run)
    [ $# -eq 2 ] || usage
    mac=$(ip -n "$NAME-sluice" -br link show cli0 | awk '{print $3}') || { echo "run 'up' first" >&2; exit 1; }
    map=$(mktemp /tmp/lab9-responder.XXXXXX.json)
    # struct responder { __be32 addr; u8 mac[6]; u16 pad; }: 10.0.1.254, cli0's MAC
    printf '{"maps":{"responder":[{"key":"00000000","value":"0a0001fe%s0000"}]}}\n' "${mac//:/}" > "$map"
    echo "responder: 10.0.1.254 at $mac (map file $map); Ctrl-C to stop"
    exec ip netns exec "$NAME-sluice" node dataplane/cli/bin.mjs run "$2" --afxdp cli0 --pass-to none --map-in "$map"
    ;;
  ping) ip netns exec "$NAME-client" ping -c 3 -i 0.3 -W 2 10.0.1.254 ;;
  neigh) ip -n "$NAME-client" neigh show 10.0.1.254 ;;
  down) scripts/netns.sh down "$NAME" ;;
  *) usage ;;
esac
