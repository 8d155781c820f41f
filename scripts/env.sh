# Shared settings for Rolo's build scripts (sourced, not run).
# Tools and build output live outside the clone so that fresh clones (CI) reuse them.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROLO_CACHE="${ROLO_CACHE:-$HOME/.cache/rolo}"
TOOLS="$ROLO_CACHE/tools"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROLO_CACHE/target}"
WASM_TARGET_DIR="${ROLO_WASM_TARGET_DIR:-$ROLO_CACHE/target-wasm}"
export PATH="$HOME/.cargo/bin:$PATH"
SITE="$ROOT/site"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# True when rustup has the wasm32 target (a developer laptop); else the Debian route is used.
have_rustup_wasm() {
  command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown
}
