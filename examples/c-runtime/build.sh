#!/bin/sh
# Builds the runtime for the suite's three platforms into dist/<platform>/,
# the layout `conformance --runtime dist/` reads.
#   RUSTRT_INCLUDE   the directory holding rustrt.h (the suite's kit has include/)
#   OUT              where dist/ goes (default: dist)
set -eu
cd "$(dirname "$0")"
include=${RUSTRT_INCLUDE:?set RUSTRT_INCLUDE to the directory holding rustrt.h}
out=${OUT:-dist}
flags="-std=c11 -O2 -Wall -Wextra -Werror -I $include"
mkdir -p "$out/linux-x86_64" "$out/windows-x86_64" "$out/linux-aarch64"
gcc $flags -shared -fPIC runtime.c -o "$out/linux-x86_64/librustrt.so"
x86_64-w64-mingw32-gcc $flags -shared runtime.c -o "$out/windows-x86_64/rustrt.dll"
aarch64-linux-gnu-gcc $flags -shared -fPIC runtime.c -o "$out/linux-aarch64/librustrt.so"
cp expectations.toml "$out/expectations.toml"
echo "built $out/{linux-x86_64,windows-x86_64,linux-aarch64}"
