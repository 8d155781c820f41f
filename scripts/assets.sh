#!/usr/bin/env bash
# Turns the built WASM into the console's static files in site/pkg:
# * wasm-post (crates/wasm_post) cuts the WASM into the part every page needs
#   (`rolo.<hash>.wasm`) and the parts the pages marked lazy in app/src/pages need (`split_*` per
#   part, `chunk_*` for code several parts share), loaded on demand by its loader script
#   (`__wasm_split.<hash>.js`), then writes the main part's glue (`rolo.<hash>.js`) with
#   wasm-bindgen's library; wasm-opt optimises every part for size;
# * every file is named by a hash of its content (served with `Cache-Control: immutable`) and
#   precompressed with brotli and gzip (served by Accept-Encoding).
# The glue and the loader import each other, so both are named by one hash of the whole build.
# site/pkg/hash.txt names the current files (Leptos's hash file, read by the server at start);
# `__wasm_split_manifest.<hash>.json` lists the files each part needs, so that a page rendered
# on the server tells the browser to fetch its part while the main one loads.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
# scripts/build.sh builds crates/wasm_post and names it here.
: "${WASM_POST:?is not set (scripts/build.sh runs this with the wasm-post it built)}"

WASM="$WASM_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm"
[ -f "$WASM" ] || die "no console build at $WASM (scripts/build.sh makes it)"
PKG="$SITE/pkg"
STAMP="$PKG/.built-from"
NEW_STAMP="$(stat -c %Y-%s "$WASM")-$(sha256sum "$ROOT/style/rolo.css" | cut -c1-16)-assets4"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$NEW_STAMP" ] && [ -f "$PKG/hash.txt" ]; then
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rolo-assets.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
SPLIT="$WORK/split" OUT="$WORK/bindgen" OPT="$WORK/opt" NEW="$PKG.new"
mkdir -p "$SPLIT" "$OUT" "$OPT"
"$WASM_POST" split "$WASM" "$SPLIT" rolo
[ -f "$SPLIT/rolo.wasm" ] && [ -f "$SPLIT/__wasm_split.js" ] || die "the WASM splitter wrote no main part"
# (The glue keeps the main part's exports that the parts import: its memory, table, functions.)
"$WASM_POST" bindgen "$SPLIT/rolo.wasm" "$OUT" rolo

say "Optimising the WASM (wasm-opt -Oz)"
# Runs binaryen with its messages in a log, shown when it fails; else shown without its warning
# about the name subsection the splitter writes (binaryen does not know it).
binaryen() {
  local log=$1
  shift
  "$@" 2>"$log" || { cat "$log" >&2; return 1; }
  grep -v 'unknown name subsection' "$log" >&2 || true
}
binaryen "$WORK/main-opt.log" "$TOOLS/npm/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory \
  --enable-nontrapping-float-to-int "$OUT/rolo_bg.wasm" -o "$OPT/rolo.wasm" &
MAIN_OPT=$!
# The parts, meanwhile, in one process with binaryen's library (scripts/wasm-opt.mjs: the same
# passes; its command-line tool would compile itself anew for each of the twenty files).
PARTS=() PAIRS=()
for f in "$SPLIT"/split_*.wasm "$SPLIT"/chunk_*.wasm; do
  [ -f "$f" ] || continue
  PARTS+=("$(basename "$f" .wasm)")
  PAIRS+=("$f" "$OPT/$(basename "$f")")
done
[ ${#PAIRS[@]} -eq 0 ] ||
  binaryen "$WORK/parts-opt.log" node "$ROOT/scripts/wasm-opt.mjs" "$TOOLS/npm/node_modules/binaryen" "${PAIRS[@]}" ||
  die "wasm-opt failed on the console's parts"
wait "$MAIN_OPT" || die "wasm-opt failed on the console's main part"

hash_of() { sha256sum "$1" | cut -c1-16; }
rm -rf "$NEW" && mkdir -p "$NEW"
LOADER="$WORK/loader.js"
cp "$SPLIT/__wasm_split.js" "$LOADER"
for part in "${PARTS[@]}"; do
  h="$(hash_of "$OPT/$part.wasm")"
  cp "$OPT/$part.wasm" "$NEW/$part.$h.wasm"
  sed -i "s#\"\./$part\.wasm\"#\"./$part.$h.wasm\"#" "$LOADER"
done
WASM_HASH="$(hash_of "$OPT/rolo.wasm")"
BUILD_HASH="$(cat "$OPT/rolo.wasm" "$OUT/rolo.js" "$LOADER" | sha256sum | cut -c1-16)"
CSS_HASH="$(hash_of "$ROOT/style/rolo.css")"
sed -i "s#from \"\./rolo\.js\"#from \"./rolo.$BUILD_HASH.js\"#" "$LOADER"
# Only the glue's `import … from` lines name the file; its table of the WASM's imports keeps the
# module name the WASM asks for.
sed "/^import /s#\"\./__wasm_split\.js\"#\"./__wasm_split.$BUILD_HASH.js\"#" "$OUT/rolo.js" > "$NEW/rolo.$BUILD_HASH.js"
grep -q "__wasm_split.$BUILD_HASH.js" "$NEW/rolo.$BUILD_HASH.js" || die "the glue does not import the WASM parts' loader"
cp "$LOADER" "$NEW/__wasm_split.$BUILD_HASH.js"
cp "$OPT/rolo.wasm" "$NEW/rolo.$WASM_HASH.wasm"
cp "$ROOT/style/rolo.css" "$NEW/rolo.$CSS_HASH.css"
# wasm-bindgen's snippets (inline JS of dependencies), when there are any, keep their paths.
[ -d "$OUT/snippets" ] && cp -r "$OUT/snippets" "$NEW/snippets"

# The files each part needs, by the part's name (the loader's `__wasm_split_load_<name>` exports:
# the chunks it waits for, then its own file; a part with no code of its own has none).
awk '
  /^const __chunk_[0-9]+ = makeLoad\(/ { match($0, /__chunk_[0-9]+/); cur = substr($0, RSTART, RLENGTH) }
  /^export const __wasm_split_load_/ {
    match($0, /__wasm_split_load_[A-Za-z0-9_]+/); cur = substr($0, RSTART, RLENGTH); parts[++n] = cur
  }
  /new URL\("\.\/[^"]+\.wasm"/ { match($0, /"\.\/[^"]+\.wasm"/); file[cur] = substr($0, RSTART + 3, RLENGTH - 9) }
  /, \[[^]]*\]\)+;$/ { d = $0; sub(/^.*, \[/, "", d); sub(/\].*$/, "", d); deps[cur] = d }
  END {
    printf "{"
    for (i = 1; i <= n; i++) {
      v = parts[i]; name = v; sub(/^__wasm_split_load_/, "", name)
      printf "%s\n  \"%s\": [", (i > 1 ? "," : ""), name
      sep = ""; m = split(deps[v], ds, /, */)
      for (j = 1; j <= m; j++) if (ds[j] in file) { printf "%s\"%s\"", sep, file[ds[j]]; sep = ", " }
      if (v in file) printf "%s\"%s\"", sep, file[v]
      printf "]"
    }
    print "\n}"
  }' "$LOADER" > "$WORK/manifest.json"
# The server reads it at start (a page of a lazy route names its part's files from it).
node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (!Object.values(m).some((files) => files.length)) process.exit(1);' "$WORK/manifest.json" ||
  { cat "$WORK/manifest.json" >&2; die "the list of the WASM parts' files above is not what the server reads"; }
MANIFEST_HASH="$(hash_of "$WORK/manifest.json")"
cp "$WORK/manifest.json" "$NEW/__wasm_split_manifest.$MANIFEST_HASH.json"

say "Compressing the console's files (brotli, gzip)"
for f in "$NEW"/*.wasm "$NEW"/*.js "$NEW"/*.css; do
  gzip -9 -n -k "$f"
  brotli -q 11 -k "$f"
done
# The names as Leptos reads them (its hash file: "kind: hash" lines).
printf 'js: %s\nwasm: %s\ncss: %s\nsplit: %s\nmanifest: %s\n' \
  "$BUILD_HASH" "$WASM_HASH" "$CSS_HASH" "$BUILD_HASH" "$MANIFEST_HASH" > "$NEW/hash.txt"
rm -rf "$PKG.old" && { [ ! -d "$PKG" ] || mv "$PKG" "$PKG.old"; } && mv "$NEW" "$PKG" && rm -rf "$PKG.old"
echo "$NEW_STAMP" > "$STAMP"
MAIN="$PKG/rolo.$WASM_HASH.wasm"
PARTS_GZ=0
for part in "${PARTS[@]}"; do PARTS_GZ=$((PARTS_GZ + $(stat -c %s "$PKG/$part".*.wasm.gz))); done
say "Console: main part $(stat -c %s "$MAIN") bytes, $(stat -c %s "$MAIN.gz") gzip, $(stat -c %s "$MAIN.br") brotli; ${#PARTS[@]} parts loaded on demand, $PARTS_GZ bytes gzip in all"
