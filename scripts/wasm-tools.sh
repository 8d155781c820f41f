#!/usr/bin/env bash
# Installs the wasm-bindgen CLI at exactly the version in Cargo.lock (once), into the tools
# directory. It builds in a target directory of its own: in the server's, it would wait for the
# server's build to finish (cargo locks a target directory). It is built unoptimised: 49 s of CPU
# instead of 137 s at opt-level 1 on a first build, for 2.0 s instead of 0.5 s on the console's
# WASM (only when the WASM changed), with the same output.
set -euo pipefail
source "$(dirname "$0")/env.sh"

WBG="$(wasm_bindgen_version)"
[ -n "$WBG" ] || die "cannot find wasm-bindgen in Cargo.lock"
if [ "$("$TOOLS/bin/wasm-bindgen" --version 2>/dev/null | awk '{print $2}')" != "$WBG" ]; then
  say "Installing wasm-bindgen-cli $WBG (a few minutes, once)"
  CARGO_TARGET_DIR="$ROLO_CACHE/target-tools" CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
    cargo install -q wasm-bindgen-cli --version "$WBG" --bin wasm-bindgen --root "$TOOLS" --force
  rm -rf "$ROLO_CACHE/target-tools"
fi
