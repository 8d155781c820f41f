#!/usr/bin/env bash
# Installs the wasm-bindgen CLI at exactly the version in Cargo.lock (once), into the tools
# directory. It builds in a target directory of its own: in the server's, it would wait for the
# server's build to finish (cargo locks a target directory), and the CLI needs no optimisation
# beyond opt-level 1 for the one file it processes.
set -euo pipefail
source "$(dirname "$0")/env.sh"

WBG="$(wasm_bindgen_version)"
[ -n "$WBG" ] || die "cannot find wasm-bindgen in Cargo.lock"
if [ "$("$TOOLS/bin/wasm-bindgen" --version 2>/dev/null | awk '{print $2}')" != "$WBG" ]; then
  say "Installing wasm-bindgen-cli $WBG (a few minutes, once)"
  CARGO_TARGET_DIR="$ROLO_CACHE/target-tools" CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install -q wasm-bindgen-cli --version "$WBG" --bin wasm-bindgen --root "$TOOLS" --force
  rm -rf "$ROLO_CACHE/target-tools"
fi
