#!/usr/bin/env bash
# Builds the server (rustup's cargo) and the hydrating WASM console into site/pkg; with
# ROLO_SYNC_CLIENT=1 (tests, `make dist`, `make rolo-sync`) also the rolo-sync client, whose HTTP
# and TLS crates the server does not need (a minute of a first build on 2 cores).
# ROLO_PROFILE picks the server's build: release (the default, what `make run` serves) or debug
# (what `make test` uses: it shares its compiled dependencies with the test binaries).
# The server builds in the background while the console builds, so that the single-threaded
# steps of one (linking, the WASM's LTO) overlap the other's work. Before the server, the same
# background job builds `wasm-post` (crates/wasm_post: wasm-bindgen's and the WASM splitter's
# libraries), which turns the console's WASM into its parts and glue (scripts/assets.sh); it
# shares the server's target directory and compiled dependencies.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

PROFILE="${ROLO_PROFILE:-release}"
case "$PROFILE" in
  release) PROFILE_FLAG=(--release); PROFILE_DIR=release ;;
  debug) PROFILE_FLAG=(); PROFILE_DIR=debug ;;
  *) die "ROLO_PROFILE must be release or debug, not $PROFILE" ;;
esac
START=$SECONDS
SERVER_LOG="$(mktemp "${TMPDIR:-/tmp}/rolo-build.XXXXXX")"
TOOL_LOG="$(mktemp "${TMPDIR:-/tmp}/rolo-build.XXXXXX")"
TOOL_STATUS="$(mktemp "${TMPDIR:-/tmp}/rolo-build.XXXXXX")"
trap 'rm -f "$SERVER_LOG" "$TOOL_LOG" "$TOOL_STATUS"' EXIT

BINS=(-p server --bin rolo)
WHAT="the server"
if [ "${ROLO_SYNC_CLIENT:-0}" = 1 ]; then BINS+=(-p rolo_sync --bin rolo-sync); WHAT="the server and rolo-sync"; fi
say "Building the WASM tool, then $WHAT ($PROFILE, in the background)"
# At the lowest priority: the console's build (which waits for its toolchain, then has long
# single-threaded stretches: the `app` crate, the link-time optimisation) runs as if alone, and
# the server's build takes the CPU it leaves. At one priority, the two builds' four or more
# compilers on two cores slowed each other (together 650 s, one after the other 566 s); a first
# `make run` took 545 s instead of 590 with this.
(
  renice -n 19 -p "$BASHPID" >/dev/null 2>&1 || true
  if cargo build -q "${PROFILE_FLAG[@]}" ${ROLO_CARGO_FLAGS:-} -p wasm_post --bin wasm-post >"$TOOL_LOG" 2>&1; then
    echo 0 >"$TOOL_STATUS"
  else
    echo 1 >"$TOOL_STATUS"
  fi
  cargo build -q "${PROFILE_FLAG[@]}" ${ROLO_CARGO_FLAGS:-} "${BINS[@]}" >"$SERVER_LOG" 2>&1
) &
SERVER_PID=$!

"$ROOT/scripts/bootstrap.sh" ${ROLO_BOOTSTRAP_FLAGS:-}

# The console's linker keeps the relocations (only the console's own link step gets the flag, so
# the dependencies' builds are unchanged): scripts/assets.sh's splitter needs them to cut out the
# pages loaded on demand.
SPLIT_LINK=(-Clink-arg=--emit-relocs)
say "Building the console (WASM)"
if have_rustup_wasm; then
  CARGO_TARGET_DIR="$WASM_TARGET_DIR" cargo rustc -q -p frontend --lib --crate-type cdylib --target wasm32-unknown-unknown \
    --profile wasm-release ${ROLO_CARGO_FLAGS:-} -- "${SPLIT_LINK[@]}" &
else
  # Built from source, std is built with the console's panic strategy: a panic stops the console
  # at once, with no message formatting or source locations in the WASM (a tenth of its size);
  # and without its default features (backtraces, unwinding: a browser has neither), which
  # leaves their crates unbuilt.
  # These flags replace .cargo/config.toml's, so its `--cfg erase_components` is repeated here.
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
    CARGO_TARGET_DIR="$WASM_TARGET_DIR" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 /usr/bin/cargo rustc -q -p frontend --lib \
    --crate-type cdylib --target wasm32-unknown-unknown --profile wasm-release -Zbuild-std=std,panic_abort -Zbuild-std-features= \
    ${ROLO_CARGO_FLAGS:-} -- "${SPLIT_LINK[@]}" &
fi
WASM_PID=$!
wait "$WASM_PID" || die "the console (WASM) did not build"
say "Console built after $((SECONDS - START)) s"
# wasm-post is built first in the background job: by now it is nearly always there.
while [ ! -s "$TOOL_STATUS" ] && kill -0 "$SERVER_PID" 2>/dev/null; do sleep 1; done
if [ "$(cat "$TOOL_STATUS")" != 0 ]; then
  cat "$TOOL_LOG" >&2
  die "the WASM tool (crates/wasm_post) did not build"
fi
WASM_POST="$CARGO_TARGET_DIR/$PROFILE_DIR/wasm-post" "$ROOT/scripts/assets.sh"

if ! wait "$SERVER_PID"; then
  cat "$SERVER_LOG" >&2
  die "the server did not build"
fi
cat "$SERVER_LOG" >&2
mkdir -p "$ROOT/bin"
ln -sf "$CARGO_TARGET_DIR/$PROFILE_DIR/rolo" "$ROOT/bin/rolo"
BUILT="bin/rolo ($PROFILE)"
if [ "${ROLO_SYNC_CLIENT:-0}" = 1 ]; then
  ln -sf "$CARGO_TARGET_DIR/$PROFILE_DIR/rolo-sync" "$ROOT/bin/rolo-sync"
  BUILT+=", bin/rolo-sync"
fi
say "Built in $((SECONDS - START)) s: $BUILT and site/pkg"
