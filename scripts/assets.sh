#!/usr/bin/env bash
# Turns the built WASM into the console's static files in site/pkg: wasm-bindgen's glue, the
# WASM optimised for size, the style sheet; each named by a hash of its content (served with
# `Cache-Control: immutable`) and precompressed with brotli and gzip (served by Accept-Encoding).
# site/pkg/hash.txt names the current files; the server reads it at start.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

WASM="$WASM_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm"
[ -f "$WASM" ] || die "no console build at $WASM (scripts/build.sh makes it)"
PKG="$SITE/pkg"
STAMP="$PKG/.built-from"
NEW_STAMP="$(stat -c %Y-%s "$WASM")-$(sha256sum "$ROOT/style/rolo.css" | cut -c1-16)-assets2"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$NEW_STAMP" ] && [ -f "$PKG/hash.txt" ]; then
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rolo-assets.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$WORK" --out-name rolo "$WASM"
say "Optimising the WASM (wasm-opt -Oz)"
"$TOOLS/npm/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  "$WORK/rolo_bg.wasm" -o "$WORK/rolo_bg.opt.wasm"
hash_of() { sha256sum "$1" | cut -c1-16; }
WASM_HASH="$(hash_of "$WORK/rolo_bg.opt.wasm")"
JS_HASH="$(hash_of "$WORK/rolo.js")"
CSS_HASH="$(hash_of "$ROOT/style/rolo.css")"
WASM_NAME="rolo.$WASM_HASH.wasm" JS_NAME="rolo.$JS_HASH.js" CSS_NAME="rolo.$CSS_HASH.css"

rm -rf "$PKG.new" && mkdir -p "$PKG.new"
cp "$WORK/rolo_bg.opt.wasm" "$PKG.new/$WASM_NAME"
cp "$WORK/rolo.js" "$PKG.new/$JS_NAME"
cp "$ROOT/style/rolo.css" "$PKG.new/$CSS_NAME"
# wasm-bindgen's snippets (inline JS of dependencies), when there are any, keep their paths.
[ -d "$WORK/snippets" ] && cp -r "$WORK/snippets" "$PKG.new/snippets"
say "Compressing the console's files (brotli, gzip)"
for f in "$PKG.new/$WASM_NAME" "$PKG.new/$JS_NAME" "$PKG.new/$CSS_NAME"; do
  gzip -9 -n -k "$f"
  brotli -q 11 -k "$f"
done
# The names as Leptos reads them (its hash file: "kind: hash" lines).
printf 'js: %s\nwasm: %s\ncss: %s\n' "$JS_HASH" "$WASM_HASH" "$CSS_HASH" > "$PKG.new/hash.txt"
rm -rf "$PKG.old" && { [ ! -d "$PKG" ] || mv "$PKG" "$PKG.old"; } && mv "$PKG.new" "$PKG" && rm -rf "$PKG.old"
echo "$NEW_STAMP" > "$STAMP"
say "Console: $WASM_NAME $(stat -c %s "$PKG/$WASM_NAME") bytes, $(stat -c %s "$PKG/$WASM_NAME.gz") gzip, $(stat -c %s "$PKG/$WASM_NAME.br") brotli"
