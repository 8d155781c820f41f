#!/usr/bin/env bash
# `make dist`: the optimised build packed to run without Rust — dist/rolo-<version>-<arch>-linux.tar.gz
# holding bin/rolo, bin/rolo-sync, site/pkg (the console), README.md, DEPLOY.md and rolo.service.
# ROLO_PROFILE=debug packs the debug build instead (the archive test uses it to save a build).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

ROLO_SYNC_CLIENT=1 "$ROOT/scripts/build.sh"
VERSION="$(awk -F'"' '/^\[workspace.package\]/ { p = 1 } p && /^version/ { print $2; exit }' Cargo.toml)"
[ -n "$VERSION" ] || die "cannot read the version from Cargo.toml"
NAME="rolo-$VERSION-$(uname -m)-linux"
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/rolo-dist.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/$NAME/bin" "$STAGE/$NAME/site"
cp -L bin/rolo bin/rolo-sync "$STAGE/$NAME/bin/"
cp -r site/pkg "$STAGE/$NAME/site/pkg"
rm -f "$STAGE/$NAME/site/pkg/.built-from"
cp README.md "$STAGE/$NAME/README.md"
cp docs/deploy.md "$STAGE/$NAME/DEPLOY.md"
cp deploy/rolo.service "$STAGE/$NAME/rolo.service"
mkdir -p dist
tar -C "$STAGE" --owner=0 --group=0 -czf "dist/$NAME.tar.gz" "$NAME"
say "dist/$NAME.tar.gz ($(du -h "dist/$NAME.tar.gz" | cut -f1))"
echo "$ROOT/dist/$NAME.tar.gz"
