#!/usr/bin/env bash
# Installs what Rolo needs to build and run (and, with --test, to test). Idempotent: every
# step checks first and skips what is already there.
set -euo pipefail
source "$(dirname "$0")/env.sh"

WANT_TEST=0
[ "${1:-}" = "--test" ] && WANT_TEST=1

SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
APT_UPDATED=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "please install: ${missing[*]} (no apt-get here)"
  say "Installing Debian packages: ${missing[*]}"
  if [ $APT_UPDATED -eq 0 ]; then $SUDO apt-get update -q >/dev/null; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. Rust for the server (and, for the tests, its formatter and linter).
command -v cargo >/dev/null 2>&1 || die "Rust is missing: install it with rustup (https://rustup.rs), then run this again."
if [ $WANT_TEST -eq 1 ]; then
  cargo fmt --version >/dev/null 2>&1 || die "rustfmt is missing: rustup component add rustfmt"
  cargo clippy --version >/dev/null 2>&1 || die "clippy is missing: rustup component add clippy"
fi

# 2. A wasm32 toolchain for the console.
if have_rustup_wasm; then
  say "wasm32 target: rustup's"
else
  say "wasm32 target: Debian's rustc-web (std built from source)"
  apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22
fi

# brotli and gzip precompress the console's files.
command -v brotli >/dev/null 2>&1 && command -v gzip >/dev/null 2>&1 || apt_install brotli gzip

# 3. wasm-opt from binaryen 132 (older binaryen breaks the WASM at run time).
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
if [ ! -x "$TOOLS/npm/node_modules/.bin/wasm-opt" ]; then
  say "Installing wasm-opt (binaryen 132)"
  mkdir -p "$TOOLS/npm"
  npm install -s --no-audit --no-fund --prefix "$TOOLS/npm" binaryen@132 >/dev/null
fi

# 4. For tests: Chromium and playwright-core.
if [ $WANT_TEST -eq 1 ]; then
  apt_install chromium
  # psql, pg_dump and pg_restore: the server tests on PostgreSQL make a schema each, and the
  # backup test checks pg_dump and pg_restore.
  command -v pg_dump >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 || apt_install postgresql-client
  # khard (a vdir address book from PyPI) reads what rolo-sync writes in the sync tests.
  if [ ! -x "$TOOLS/venv/bin/khard" ]; then
    say "Installing khard for the sync tests"
    python3 -m venv "$TOOLS/venv" && "$TOOLS/venv/bin/pip" install -q khard==0.22.0 \
      || die "khard could not be installed (the sync tests need it)"
  fi
  # vdirsyncer (a real CardDAV client), Radicale (the CardDAV benchmark's reference) and litmus.
  "$ROOT/scripts/dav-tools.sh" || die "the CardDAV tools could not be installed (the vdirsyncer test needs them)"
  if [ ! -d "$ROOT/end2end/node_modules/playwright-core" ] || [ ! -d "$ROOT/end2end/node_modules/axe-core" ]; then
    say "Installing playwright-core and axe-core for the browser tests"
    (cd "$ROOT/end2end" && npm ci -s --no-audit --no-fund >/dev/null)
  fi
fi
say "Tools ready"
