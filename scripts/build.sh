#!/usr/bin/env bash
# Builds the server (rustup's cargo) and the hydrating WASM console into site/pkg.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

say "Building the console (WASM)"
if have_rustup_wasm; then
  CARGO_TARGET_DIR="$WASM_TARGET_DIR" cargo build -q -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
else
  CARGO_TARGET_DIR="$WASM_TARGET_DIR" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 /usr/bin/cargo build -q -p frontend --lib \
    --target wasm32-unknown-unknown --profile wasm-release -Zbuild-std=std,panic_abort
fi
WASM="$WASM_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm"
STAMP="$SITE/pkg/.built-from"
NEW_STAMP="$(stat -c %Y-%s "$WASM")-$(stat -c %Y-%s "$ROOT/style/rolo.css")"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$NEW_STAMP" ]; then
  mkdir -p "$SITE/pkg"
  wasm-bindgen --target web --no-typescript --out-dir "$SITE/pkg" --out-name rolo "$WASM"
  say "Optimising the WASM (wasm-opt -Oz)"
  "$TOOLS/npm/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$SITE/pkg/rolo_bg.wasm" -o "$SITE/pkg/rolo_bg.wasm"
  cp "$ROOT/style/rolo.css" "$SITE/pkg/rolo.css"
  echo "$NEW_STAMP" > "$STAMP"
fi

say "Building the server and rolo-sync"
cargo build -q -p server --bin rolo -p rolo_sync --bin rolo-sync
mkdir -p "$ROOT/bin"
ln -sf "$CARGO_TARGET_DIR/debug/rolo" "$ROOT/bin/rolo"
ln -sf "$CARGO_TARGET_DIR/debug/rolo-sync" "$ROOT/bin/rolo-sync"
say "Built: bin/rolo, bin/rolo-sync and site/pkg ($(du -h "$SITE/pkg/rolo_bg.wasm" | cut -f1) of WASM)"
