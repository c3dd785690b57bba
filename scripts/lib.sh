# Shared by the scripts in this folder: repository root, PATH and a few helpers.
# Sourced, never run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# wasm-opt comes from the npm `binaryen` package (Debian's is too old for current
# wasm-bindgen output); cargo-installed tools live in ~/.cargo/bin.
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# Playwright drives Debian's Chromium; it must never try to download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

# The wasm-bindgen CLI must match the crate exactly; its one pin is the workspace's
# `wasm-bindgen = "=X.Y.Z"` in Cargo.toml.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"$/\1/p' "$ROOT/Cargo.toml")"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }

# The bin directory of the newest installed PostgreSQL server (Debian keeps it off
# PATH), or PG_BIN when set; empty when there is none.
pg_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then
    echo "$PG_BIN"
    return
  fi
  compgen -G "/usr/lib/postgresql/*/bin/postgres" | sort -V | tail -1 | xargs -r dirname
}

# True when the active toolchain has the standard library's source (for -Zbuild-std).
has_rust_src() {
  rustup component list --installed 2>/dev/null | grep -q '^rust-src'
}
