#!/usr/bin/env bash
# Installs the third-party CardDAV tools Rolo's CardDAV tests and benchmark use, outside the
# clone (skipped when present): vdirsyncer (a real CardDAV client, for the sync test), Radicale
# (a reference server, for the benchmark's ratios) and litmus (the WebDAV conformance suite).
set -euo pipefail
source "$(dirname "$0")/env.sh"

VENV="$TOOLS/dav-venv"
if [ ! -x "$VENV/bin/vdirsyncer" ] || [ ! -x "$VENV/bin/radicale" ]; then
  say "Installing vdirsyncer and Radicale into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "vdirsyncer==0.21.0" "radicale==3.9.0"
fi
if ! command -v litmus >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$SUDO" ] || sudo -n true 2>/dev/null; }; then
    say "Installing litmus"
    $SUDO apt-get install -y -q litmus >/dev/null || say "litmus could not be installed: its run is skipped"
  else
    say "litmus is not installed (Debian package litmus): its run is skipped"
  fi
fi
say "CardDAV tools ready: $VENV/bin/vdirsyncer, $VENV/bin/radicale, $(command -v litmus || echo 'no litmus')"
