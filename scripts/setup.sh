#!/usr/bin/env bash
# First command of the README: install, build, and run the bundled example through the core.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
cargo run --release --quiet -p rvo-cli -- run "$@"
