#!/usr/bin/env bash
# `make rolo-sync`: the PC folder client, optimised, as bin/rolo-sync (`make run` builds only the
# server and the console; `make dist` and `make test` build the client too).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
say "Building rolo-sync (release)"
cargo build -q --release -p rolo_sync --bin rolo-sync
mkdir -p "$ROOT/bin"
ln -sf "$CARGO_TARGET_DIR/release/rolo-sync" "$ROOT/bin/rolo-sync"
say "Built bin/rolo-sync"
