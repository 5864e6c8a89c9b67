#!/usr/bin/env bash
# First command of the README: install what is missing, build, and run packets through the core:
# the embedded example (no clang needed), then the corpus firewall, an XDP object built by clang.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
cargo build --release --quiet -p rvo-cli
rvo=target/release/rvo
"$rvo" run "$@"
echo
bash tests/corpus/build.sh target/corpus >/dev/null
"$rvo" run target/corpus/firewall.o --pcap tests/corpus/pcap/firewall.pcap \
    --maps tests/corpus/maps/firewall.json "$@"
