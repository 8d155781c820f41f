#!/usr/bin/env bash
# Installs the WASM post-processing tools into the tools directory (once): the wasm-bindgen CLI
# at exactly the version in Cargo.lock, and the splitter that cuts the console's WASM into the
# part every page needs and the parts loaded on demand (the pages marked lazy in app/src/pages;
# it reads the split points Leptos's `wasm_split_helpers` writes, so its version goes with them).
# Each builds in a target directory of its own: in the server's, it would wait for the server's
# build to finish (cargo locks a target directory). Both are built unoptimised; wasm-bindgen:
# 49 s of CPU instead of 137 s at opt-level 1 on a first build, for 2.0 s instead of 0.5 s on the
# console's WASM (only when the WASM changed), with the same output.
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

SPLIT_VERSION=0.2.4
if [ ! -x "$TOOLS/bin/wasm-split-cli" ] ||
  ! cargo install --list --root "$TOOLS" | grep -qx "wasm_split_cli_support v$SPLIT_VERSION:"; then
  say "Installing the WASM splitter (wasm_split_cli_support $SPLIT_VERSION, once)"
  CARGO_TARGET_DIR="$ROLO_CACHE/target-tools" CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
    cargo install -q wasm_split_cli_support --version "$SPLIT_VERSION" --locked --features build-binary \
    --bin wasm-split-cli --root "$TOOLS" --force
  rm -rf "$ROLO_CACHE/target-tools"
fi
