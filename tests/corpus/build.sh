#!/usr/bin/env bash
# Compiles every XDP program of the corpus (tests/corpus/*.c) into OUT_DIR (default:
# target/corpus, relative to the workspace root), one <name>.o each.
#
#   tests/corpus/build.sh [OUT_DIR]
#
# Needs clang with the BPF target and the libbpf headers (Debian: clang llvm libbpf-dev).
# CLANG and CFLAGS may be overridden from the environment.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/target/corpus}"
clang="${CLANG:-clang}"

if ! command -v "$clang" >/dev/null 2>&1; then
    echo "error: $clang not found: install clang (Debian: apt-get install clang llvm libbpf-dev)" >&2
    exit 1
fi
if [ ! -f /usr/include/bpf/bpf_helpers.h ] && [ -z "${CFLAGS:-}" ]; then
    echo "error: <bpf/bpf_helpers.h> not found: install libbpf-dev (or set CFLAGS=-I...)" >&2
    exit 1
fi

# The asm/ headers of Debian's multiarch layout (asm/types.h, asm/byteorder.h).
multiarch="$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")"
cflags=(-O2 -g -target bpf -Wall "-I/usr/include/$multiarch")
# shellcheck disable=SC2206
[ -n "${CFLAGS:-}" ] && cflags+=($CFLAGS)

mkdir -p "$out"
n=0
for src in "$here"/*.c; do
    name="$(basename "$src" .c)"
    "$clang" "${cflags[@]}" -c "$src" -o "$out/$name.o"
    n=$((n + 1))
done
echo "built $n programs into $out"
