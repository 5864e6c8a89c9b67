#!/usr/bin/env bash
# Installs what rvo needs on a Debian machine. Idempotent: installs only what is missing.
set -euo pipefail

# Tools by command, libraries by header: build-essential/pkg-config/make for the workspace,
# libelf/zlib for libbpf (the Linux oracle), clang/llvm/libbpf-dev for the XDP corpus.
need_apt=()
for tool in cc:build-essential make:make pkg-config:pkg-config python3:python3 git:git clang:clang llvm-objdump:llvm verilator:verilator yosys:yosys; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need_apt+=("${tool#*:}")
done
for header in /usr/include/libelf.h:libelf-dev /usr/include/zlib.h:zlib1g-dev /usr/include/bpf/bpf_helpers.h:libbpf-dev; do
    [ -f "${header%%:*}" ] || need_apt+=("${header#*:}")
done
if ! command -v cargo >/dev/null 2>&1 && ! command -v rustup >/dev/null 2>&1; then
    need_apt+=(rustup)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
    rustup default stable
fi
if command -v rustup >/dev/null 2>&1; then
    # rustfmt/clippy for the checks; the bare-metal target proves the compiler core is no_std.
    rustup component add rustfmt clippy >/dev/null
    rustup target add x86_64-unknown-none >/dev/null
fi
echo "rvo: dependencies installed"
