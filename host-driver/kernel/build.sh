#!/usr/bin/env bash
# Builds rvo's guest kernel (Linux 6.12 from Debian's linux-source, Rust enabled) and caches it
# under ~/.cache/rvo/kernel/KEY, KEY a hash of every input of the build: its recipe (the part of
# this script below the `build recipe` line), the config fragment, the bindings added for the
# driver, the kernel source package version, rustc and bindgen. Installing tools is not an
# input: adding a package to the install line does not rebuild the kernel.
# Prints the cache directory (bzImage and the kbuild tree modules are built against).
#
#   host-driver/kernel/build.sh            # build if missing, print the directory
#   host-driver/kernel/build.sh --key      # print the cache key only
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${RVO_CACHE:-$HOME/.cache/rvo}
tools=$cache/tools
mkdir -p "$cache" "$tools"
export PATH=$tools/bin:$PATH
log() { echo "kernel: $*" >&2; }

# Headers whose types the Rust driver needs from bindgen (stock 6.12 lacks them).
bindings_extra='#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/pci.h>
#include <linux/bpf_verifier.h>
#include <net/xdp.h>'

install_deps() {
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    if [ ! -f /usr/src/linux-source-6.12.tar.xz ] || ! command -v ld.lld >/dev/null || ! command -v bc >/dev/null \
        || [ ! -x /usr/sbin/ethtool ]; then
        # linux-source-6.12 and a QEMU matching qemu-utils come from bookworm-backports.
        if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
            sed -n '1,/^$/p' /etc/apt/sources.list.d/debian.sources | sed 's/^Suites:.*/Suites: bookworm-backports/' \
                | $sudo tee /etc/apt/sources.list.d/backports.sources >/dev/null
        fi
        $sudo apt-get update -q >/dev/null
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -t bookworm-backports \
            linux-source-6.12 build-essential flex bison bc libelf-dev libssl-dev clang llvm lld libclang-dev \
            cpio busybox-static qemu-system-x86 bpftool iproute2 ethtool kmod >/dev/null
    fi
    # The kernel builds Rust's `core` itself from source.
    rustup component add rust-src >/dev/null 2>&1 || true
    if ! command -v bindgen >/dev/null || [ "$(bindgen --version | awk '{print $2}')" != 0.73.2 ]; then
        log "installing bindgen-cli 0.73.2 (crates.io)"
        cargo install bindgen-cli --locked --version 0.73.2 --root "$tools" -q
    fi
}

install_deps
src_version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
recipe=$(sed -n '/^# --- build recipe ---$/,$p' "$0")
key=$( { echo "$recipe"; cat "$here/config.fragment"; echo "$bindings_extra"; echo "$src_version"; rustc --version; bindgen --version; } | sha256sum | cut -c1-16)
out=$cache/kernel/$key
if [ "${1:-}" = --key ]; then
    echo "$key"
    exit 0
fi
# --- build recipe ---
if [ -f "$out/done" ]; then
    log "cached: $out"
    echo "$out"
    exit 0
fi
log "building $src_version into $out (about 11 minutes on 2 cores)"
rm -rf "$out"; mkdir -p "$out"
cd "$out"
tar xf /usr/src/linux-source-6.12.tar.xz
src=$out/linux-source-6.12
python3 - "$src/rust/bindings/bindings_helper.h" "$bindings_extra" <<'PY'
import sys
path, extra = sys.argv[1], sys.argv[2]
text = open(path).read()
anchor = "#include <linux/wait.h>"
if extra not in text:
    text = text.replace(anchor, anchor + "\n" + extra, 1)
open(path, "w").write(text)
PY
make -s -C "$src" ARCH=x86_64 O="$out/kbuild" tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$out/kbuild" "$out/kbuild/.config" "$here/config.fragment" >/dev/null
make -s -C "$src" ARCH=x86_64 O="$out/kbuild" olddefconfig
make -s -C "$src" O="$out/kbuild" rustavailable
grep -q '^CONFIG_RUST=y' "$out/kbuild/.config" || { log "CONFIG_RUST did not stick"; exit 1; }
nice -n 10 make -s -C "$src" ARCH=x86_64 O="$out/kbuild" -j"$(nproc)" bzImage modules >"$out/build.log" 2>&1 \
    || { tail -30 "$out/build.log" >&2; exit 1; }
touch "$out/done"
log "built: $out/kbuild/arch/x86/boot/bzImage"
echo "$out"
