#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs to build, test and run sluice.
# Idempotent; runs as root or through sudo for the system packages.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: system packages need root or sudo" >&2; exit 1; }
  SUDO=sudo
fi

PACKAGES=(
  gcc make pkg-config binutils          # the native shim; objdump for `sluice jit dump`
  clang llvm                            # building examples and labs (clang 14, llvm-objdump)
  libbpf-dev libxdp-dev bpftool xdp-tools  # kernel comparison, AF_XDP
  linux-libc-dev                        # linux/bpf.h and friends
  dpdk dpdk-dev libdpdk-dev             # the DPDK driver
  iproute2 tcpdump iputils-ping         # namespaces, veth, capture checks
  ethtool procps util-linux             # interface queues, ps/taskset in the driver tests
  chromium                              # headless checks of the `sluice trace --html` page
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The kernel's BPF filesystem, for pinning programs in differential tests.
if [ "$(id -u)" -eq 0 ] && ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
  mount -t bpf bpf /sys/fs/bpf 2>/dev/null || echo "setup: could not mount /sys/fs/bpf (kernel tests will skip)"
fi

npm ci --no-audit --no-fund   # also builds the native part (package.json "install")
bash scripts/build-examples.sh --if-changed   # objects are committed; rebuilt only when a source changed
