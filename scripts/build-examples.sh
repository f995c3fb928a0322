#!/usr/bin/env bash
# Builds every examples/*.c into examples/NAME.o with clang, the way users
# build XDP objects for the kernel. The objects are committed, so sluice's
# pcap path works on machines without clang.
#
# Usage: scripts/build-examples.sh [--if-changed | --check] [NAME...]
#   (no option)   build every example (or only the NAMEs given, e.g. firewall)
#   --if-changed  rebuild only objects older than their source (or missing);
#                 does nothing, silently, when clang is not installed
#   --check       build into a temporary folder and fail if any committed
#                 object differs from what its source builds to
# Env: CLANG (default: clang)
#
# The objects must not depend on where the checkout lives (CI builds in
# another folder): sources are compiled by their relative path from the
# repository root and -ffile-prefix-map rewrites the root to "." in the debug
# information, so the same clang gives the same bytes anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
CLANG=${CLANG:-clang}
CFLAGS=(-O2 -g -target bpf -mcpu=v3 -I/usr/include/x86_64-linux-gnu -D__x86_64__
  -Wall -ffile-prefix-map="$ROOT"=.)
# The committed objects were built with this clang; others emit other bytes.
EXPECTED_CLANG_MAJOR=14

mode=build
names=()
for arg in "$@"; do
  case "$arg" in
    --if-changed) mode=if-changed ;;
    --check) mode=check ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-examples: unknown option $arg (try --help)" >&2; exit 2 ;;
    *) names+=("${arg%.c}") ;;
  esac
done

if ! command -v "$CLANG" >/dev/null 2>&1; then
  [ "$mode" = if-changed ] && exit 0
  echo "build-examples: '$CLANG' not found. Install clang (Debian: apt-get install clang llvm," >&2
  echo "or run scripts/setup.sh); the committed examples/*.o work without it." >&2
  exit 1
fi

if [ ${#names[@]} -eq 0 ]; then
  for src in examples/*.c; do names+=("$(basename "$src" .c)"); done
fi

compile() { # compile NAME OUTPUT
  "$CLANG" "${CFLAGS[@]}" -c "examples/$1.c" -o "$2"
}

case "$mode" in
  build|if-changed)
    built=0
    for name in "${names[@]}"; do
      src="examples/$name.c" obj="examples/$name.o"
      [ -f "$src" ] || { echo "build-examples: no such example: $src" >&2; exit 1; }
      if [ "$mode" = if-changed ] && [ -f "$obj" ] && [ ! "$src" -nt "$obj" ]; then continue; fi
      compile "$name" "$obj"
      echo "built $obj"
      built=$((built + 1))
    done
    [ "$mode" = build ] || [ "$built" -eq 0 ] || echo "build-examples: rebuilt $built object(s)"
    ;;
  check)
    major=$("$CLANG" --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
    if [ "$major" != "$EXPECTED_CLANG_MAJOR" ]; then
      echo "build-examples: note: clang $major, but the objects were built with clang $EXPECTED_CLANG_MAJOR;" \
        "differences may come from the compiler, not the sources" >&2
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    stale=()
    for name in "${names[@]}"; do
      compile "$name" "$tmp/$name.o"
      if ! cmp -s "$tmp/$name.o" "examples/$name.o"; then stale+=("examples/$name.o"); fi
    done
    if [ ${#stale[@]} -gt 0 ]; then
      echo "build-examples: out of date with their sources: ${stale[*]}" >&2
      echo "rebuild with scripts/build-examples.sh and commit the objects" >&2
      exit 1
    fi
    echo "build-examples: ${#names[@]} objects match their sources"
    ;;
esac
