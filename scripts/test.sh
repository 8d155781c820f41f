#!/usr/bin/env bash
# Runs every Rolo test: formatting and lints, unit and contract tests (SQLite and PostgreSQL),
# property-based fuzzing, HTTP integration tests over TCP, and the browser end-to-end tests in
# Chromium.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

export ROLO_KHARD="${ROLO_KHARD:-$TOOLS/venv/bin/khard}"
export ROLO_VDIRSYNCER="${ROLO_VDIRSYNCER:-$TOOLS/dav-venv/bin/vdirsyncer}"
export ROLO_VDIRSYNCER_SUITE="${ROLO_VDIRSYNCER_SUITE:-$TOOLS/vdirsyncer-suite}"
export ROLO_DAV_PYTHON="${ROLO_DAV_PYTHON:-$TOOLS/dav-venv/bin/python}"
export ROLO_LITMUS="${ROLO_LITMUS:-$(command -v litmus || echo /usr/bin/litmus)}"
# The fuzz suites draw the same cases on every run here (a red run comes from a change, not a
# draw); campaigns leave it unset to draw new ones (docs/fuzzing.md).
export ROLO_FUZZ_SEED="${ROLO_FUZZ_SEED:-20261202}"
export ROLO_TEST_POSTGRES_URL="${ROLO_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

ROLO_PROFILE=debug ROLO_SYNC_CLIENT=1 ROLO_BOOTSTRAP_FLAGS=--test "$ROOT/scripts/build.sh"

say "Checking PostgreSQL at ${ROLO_TEST_POSTGRES_URL%%@*}@…"
if ! command -v pg_isready >/dev/null 2>&1 || ! pg_isready -q -d "$ROLO_TEST_POSTGRES_URL"; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    say "Starting the local PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    sleep 2
  fi
  pg_isready -q -d "$ROLO_TEST_POSTGRES_URL" || die "PostgreSQL is not reachable at ROLO_TEST_POSTGRES_URL; the contract tests need it"
fi

# Each contract test (and each server test on PostgreSQL) makes a schema of its own; drop those of earlier runs.
if command -v psql >/dev/null 2>&1; then
  psql -q -X -d "$ROLO_TEST_POSTGRES_URL" -At -c \
    "SELECT format('DROP SCHEMA %I CASCADE;', nspname) FROM pg_namespace WHERE nspname LIKE 'rolo\_test\_%' OR nspname LIKE 'rolo\_it\_%'" \
    | psql -q -X -d "$ROLO_TEST_POSTGRES_URL" >/dev/null 2>&1 || true
  # …and the databases the backup test restores into, when a run stopped before dropping one.
  psql -q -X -d "$ROLO_TEST_POSTGRES_URL" -At -c \
    "SELECT format('DROP DATABASE %I WITH (FORCE);', datname) FROM pg_database WHERE datname LIKE 'rolo\_restore\_%'" \
    | psql -q -X -d "$ROLO_TEST_POSTGRES_URL" >/dev/null 2>&1 || true
fi

say "Formatting and lints (cargo fmt, clippy with warnings as errors)"
cargo fmt --all --check || die "the code is not formatted: run cargo fmt --all"
cargo clippy -q --workspace --exclude app --exclude frontend --all-targets -- -D warnings
cargo clippy -q -p app --features ssr --all-targets -- -D warnings
cargo clippy -q -p frontend -- -D warnings

say "Rust tests (all crates but the console)"
cargo test -q --workspace --exclude app --exclude frontend
say "Rust tests (console, server side)"
cargo test -q -p app --features ssr

say "Browser tests (Chromium)"
(cd "$ROOT/end2end" && ROLO_BIN="$ROOT/bin/rolo" node --test --test-concurrency=1 tests/)
