#!/usr/bin/env bash
# A lab topology of three network namespaces joined by veth pairs:
#
#   NAME-client            NAME-sluice                 NAME-server
#   eth0 10.0.1.1/24 ──── cli0        srv0 ──── eth0 10.0.2.1/24
#   (default via 10.0.1.254)                    (default via 10.0.2.254)
#
# sluice's interfaces get no addresses: sluice attaches to cli0/srv0, and the
# host side of the sluice namespace (the PASS TAPs, e.g. p-cli0, p-srv0) gets
# 10.0.1.254 and 10.0.2.254 when a test or lab wants the kernel there
# (`netns.sh addr NAME`). IPv6 is off in all three namespaces so that counts
# are not disturbed by neighbour discovery.
#
#   scripts/netns.sh up NAME [QUEUES]   build it (QUEUES rx/tx queues per veth, default 1)
#   scripts/netns.sh addr NAME          gateway addresses on the TAPs p-cli0/p-srv0, forwarding on
#   scripts/netns.sh down NAME          remove it; idempotent, never fails on what is already gone
#   scripts/netns.sh exec NAME ROLE CMD...   run CMD in NAME-ROLE (client, sluice, server)
set -euo pipefail

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 name=$2
case "$name" in *[!A-Za-z0-9_-]* | '') echo "netns.sh: bad NAME '$name'" >&2; exit 2 ;; esac
C="$name-client" S="$name-sluice" V="$name-server"

down() {
  for ns in "$C" "$S" "$V"; do
    ip netns del "$ns" 2>/dev/null || true # deleting a namespace deletes its veth ends and their peers
  done
}

up() {
  local q=${1:-1}
  down
  ip netns add "$C"; ip netns add "$S"; ip netns add "$V"
  for ns in "$C" "$S" "$V"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n "$C" link add eth0 numtxqueues "$q" numrxqueues "$q" type veth peer name cli0 netns "$S" numtxqueues "$q" numrxqueues "$q"
  ip -n "$V" link add eth0 numtxqueues "$q" numrxqueues "$q" type veth peer name srv0 netns "$S" numtxqueues "$q" numrxqueues "$q"
  ip -n "$C" addr add 10.0.1.1/24 dev eth0
  ip -n "$V" addr add 10.0.2.1/24 dev eth0
  for l in "$C eth0" "$V eth0" "$S cli0" "$S srv0"; do
    set -- $l
    ip -n "$1" link set "$2" up
    # Offloads off: AF_XDP in copy mode sees frames as they are on the wire,
    # and checksums must be real for the receiving end to accept them.
    ip netns exec "$1" ethtool -K "$2" tx off rx off gso off tso off gro off >/dev/null 2>&1 || true
  done
  ip -n "$C" route add default via 10.0.1.254
  ip -n "$V" route add default via 10.0.2.254
}

addr() {
  ip -n "$S" addr replace 10.0.1.254/24 dev p-cli0
  ip -n "$S" addr replace 10.0.2.254/24 dev p-srv0
  ip netns exec "$S" sysctl -qw net.ipv4.ip_forward=1
}

case "$cmd" in
  up) up "${3:-1}" ;;
  down) down ;;
  addr) addr ;;
  exec) [ $# -ge 4 ] || usage; role=$3; shift 3; exec ip netns exec "$name-$role" "$@" ;;
  *) usage ;;
esac
