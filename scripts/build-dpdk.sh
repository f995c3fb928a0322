#!/usr/bin/env bash
# Builds the DPDK driver's data path (drivers/dpdk/native/*.c) into
# build/libsluice_dpdk.so, linked against build/libsluice.so (found next to it
# through $ORIGIN). Only where DPDK's development files are installed
# (`pkg-config --exists libdpdk`); elsewhere it says so and succeeds, since the
# pcap path needs no DPDK. Called by scripts/build-native.sh and by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=${CC:-cc}
if ! pkg-config --exists libdpdk 2>/dev/null; then
  echo "sluice: DPDK not found (pkg-config libdpdk): the DPDK driver is not built (Debian: apt-get install libdpdk-dev)"
  exit 0
fi
if [ ! -f build/libsluice.so ]; then
  echo "sluice: build/libsluice.so is missing: run scripts/build-native.sh first" >&2
  exit 1
fi
# shellcheck disable=SC2046
if ! "$CC" -O2 -g -fPIC -shared -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration \
    $(pkg-config --cflags libdpdk) -o build/libsluice_dpdk.so.$$.tmp drivers/dpdk/native/*.c \
    -Lbuild -lsluice -Wl,-rpath,'$ORIGIN' $(pkg-config --libs libdpdk) -lpthread 2> build/dpdk-build.log; then
  rm -f "build/libsluice_dpdk.so.$$.tmp"
  cat build/dpdk-build.log >&2
  echo "sluice: building build/libsluice_dpdk.so failed (log above, kept in build/dpdk-build.log)." >&2
  exit 1
fi
# Renamed into place, so that a sluice starting meanwhile loads either the old library or the new one, never half a file.
mv -f build/libsluice_dpdk.so.$$.tmp build/libsluice_dpdk.so
if [ -s build/dpdk-build.log ]; then cat build/dpdk-build.log >&2; fi
echo "sluice: built build/libsluice_dpdk.so"
