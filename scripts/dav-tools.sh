#!/usr/bin/env bash
# Installs the third-party CardDAV tools Rolo's CardDAV tests and benchmark use, outside the
# clone (skipped when present): vdirsyncer (a real CardDAV client, for the sync test), vdirsyncer's
# own storage test suite with its test dependencies (run against Rolo by
# server/tests/it/conformance.rs), Radicale (a reference server, for the benchmark's ratios) and
# litmus (the WebDAV conformance suite).
set -euo pipefail
source "$(dirname "$0")/env.sh"

VENV="$TOOLS/dav-venv"
VDIRSYNCER_VERSION="0.21.0"
if [ ! -x "$VENV/bin/vdirsyncer" ] || [ ! -x "$VENV/bin/radicale" ]; then
  say "Installing vdirsyncer and Radicale into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "vdirsyncer==$VDIRSYNCER_VERSION" "radicale==3.9.0"
fi
# The test dependencies of vdirsyncer's suite (its pyproject.toml's `test` extra; hypothesis
# bounded as it bounds it), pinned to versions known to run it.
if ! "$VENV/bin/python" -c 'import pytest, pytest_asyncio, aioresponses, hypothesis, pytest_httpserver, trustme' 2>/dev/null; then
  say "Installing vdirsyncer's test dependencies into $VENV"
  "$VENV/bin/pip" install -q "pytest==9.2.0" "pytest-asyncio==1.5.0" "aioresponses==0.7.9" \
    "hypothesis==6.170.17" "pytest-httpserver==1.2.1" "trustme==1.2.1"
fi
# vdirsyncer's tests, from its source distribution on PyPI (the wheel has none).
SUITE="$TOOLS/vdirsyncer-suite"
if [ ! -f "$SUITE/tests/storage/dav/test_carddav.py" ]; then
  say "Fetching vdirsyncer $VDIRSYNCER_VERSION's test suite into $SUITE"
  DL="$(mktemp -d)"
  trap 'rm -rf "$DL"' EXIT
  "$VENV/bin/pip" download -q --no-binary :all: --no-deps "vdirsyncer==$VDIRSYNCER_VERSION" -d "$DL"
  "$VENV/bin/python" - "$DL/vdirsyncer-$VDIRSYNCER_VERSION.tar.gz" "$DL/x" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    try:
        t.extractall(sys.argv[2], filter="data")
    except TypeError:  # a Python without extraction filters
        t.extractall(sys.argv[2])
PY
  rm -rf "$SUITE"
  mv "$DL/x/vdirsyncer-$VDIRSYNCER_VERSION" "$SUITE"
fi
if ! command -v litmus >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$SUDO" ] || sudo -n true 2>/dev/null; }; then
    say "Installing litmus"
    $SUDO apt-get install -y -q litmus >/dev/null || die "litmus (Debian package litmus) could not be installed; the WebDAV conformance test needs it"
  else
    die "litmus is not installed (Debian package litmus) and cannot be installed here (no apt-get or sudo); the WebDAV conformance test needs it"
  fi
fi
say "CardDAV tools ready: $VENV/bin/vdirsyncer, $SUITE, $VENV/bin/radicale, $(command -v litmus)"
