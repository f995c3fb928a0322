#!/usr/bin/env bash
# Builds sluice's native part into build/: the C shim (executable memory, burst
# loop, helpers, maps) as libsluice.so with the system C compiler, and the DPDK
# and AF_XDP drivers only where their libraries are installed. Runs as the
# package's own install script (npm ci / npm install) and by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "sluice: no C compiler ('$CC') found: the native runtime cannot be built." >&2
  echo "        Install one (Debian: apt-get install gcc, or run scripts/setup.sh) and run 'npm run build:native'." >&2
  exit 1
fi
mkdir -p build
sources=$(find dataplane/shim maps -name '*.c' -not -path '*/test/*' 2>/dev/null | sort)  # test programs are not part of the library
if [ -z "$sources" ]; then
  echo "sluice: no native sources yet; nothing to build"
  exit 0
fi
# Each library is written beside its final name and renamed into place: a process that starts
# while another rebuilds loads the old file or the new one, never a half-written one.
install_lib() { mv -f "$1.$$.tmp" "$1"; }
# shellcheck disable=SC2086
# initial-exec TLS: helpers read the per-worker state (maps/worker.h) with one
# %fs-relative load instead of a __tls_get_addr call per access.
if ! "$CC" -O2 -g -fPIC -ftls-model=initial-exec -shared -std=gnu11 -Wall -Wextra -Werror=implicit-function-declaration \
    -o build/libsluice.so.$$.tmp $sources -lpthread 2> build/native-build.log; then
  rm -f "build/libsluice.so.$$.tmp"
  cat build/native-build.log >&2
  echo "sluice: building build/libsluice.so failed (log above, kept in build/native-build.log)." >&2
  exit 1
fi
install_lib build/libsluice.so
echo "sluice: built build/libsluice.so"

# --- AF_XDP driver (owner: drivers/afxdp), only where libxdp is installed ------
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libxdp libbpf; then
  # shellcheck disable=SC2046
  if "$CC" -O2 -g -fPIC -shared -std=gnu11 -Wall -Wextra -Werror=implicit-function-declaration \
      -o build/libsluice_afxdp.so.$$.tmp drivers/afxdp/*.c -Lbuild -lsluice -Wl,-rpath,'$ORIGIN' \
      $(pkg-config --libs libxdp libbpf) -lpthread 2> build/afxdp-build.log; then
    install_lib build/libsluice_afxdp.so
    echo "sluice: built build/libsluice_afxdp.so"
  else
    rm -f "build/libsluice_afxdp.so.$$.tmp"
    cat build/afxdp-build.log >&2
    echo "sluice: building build/libsluice_afxdp.so failed (log above); the AF_XDP driver is unavailable." >&2
  fi
else
  echo "sluice: libxdp not found (pkg-config libxdp): the AF_XDP driver is not built (Debian: apt-get install libxdp-dev libbpf-dev)"
fi

# ---------------------------------------------------------------------------
# Optional: the DPDK driver's data path (owner: drivers/dpdk). Only where
# `pkg-config --exists libdpdk`; without DPDK this says so and succeeds, and a
# failed DPDK build leaves the rest of sluice usable.
# ---------------------------------------------------------------------------
bash scripts/build-dpdk.sh || echo "sluice: the DPDK driver is unavailable (build failed, log above)." >&2
