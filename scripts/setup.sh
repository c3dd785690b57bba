#!/usr/bin/env bash
# Installs what the build and the tests need, skipping whatever is already there.
# Only package registries are used: crates.io, npm and Debian.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

step "setup"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
note "rust target wasm32-unknown-unknown: ok"

# The standard library's source: the release bundles rebuild std for size with it
# (scripts/build-wasm.sh). Without it they are only larger, so a failure is not fatal.
if ! has_rust_src; then
  rustup component add rust-src || note "rust-src could not be installed"
fi
has_rust_src && note "rust-src: ok"

# The CLI must match the `wasm-bindgen` crate version pinned in Cargo.toml exactly.
# No --locked: its lockfile pins a webpki-roots the registry no longer has.
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --no-default-features
fi
note "wasm-bindgen $WASM_BINDGEN_VERSION: ok"

# The fuzz targets' driver (scripts/fuzz.sh); it runs on the stable toolchain.
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz
fi
note "$(cargo fuzz --version): ok"

# Debian packages: Chromium for the browser tests, the PostgreSQL server for the
# server's PostgreSQL test stage (scripts/with-postgres.sh runs a throwaway cluster).
apt=()
if [[ ! -x "$CHROMIUM" || ! -x "$CHROMEDRIVER" ]]; then
  apt+=(chromium chromium-driver)
fi
if [[ -z "$(pg_bin)" ]]; then
  apt+=(postgresql)
fi
# Firefox ESR and WebKitGTK's WebDriver (with its MiniBrowser, run under Xvfb) for the
# suite that runs the core flows in every engine (tests/engines).
if ! command -v firefox-esr >/dev/null; then
  apt+=(firefox-esr)
fi
if ! command -v WebKitWebDriver >/dev/null || ! command -v xvfb-run >/dev/null || ! command -v xauth >/dev/null; then
  apt+=(webkit2gtk-driver xvfb xauth)
fi
# nginx runs the deployment guide's reverse-proxy block (tests/deployment.sh), sqlite3 its
# SQLite backup line.
if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
  apt+=(nginx)
fi
if ! command -v sqlite3 >/dev/null; then
  apt+=(sqlite3)
fi
# openssl makes the throwaway CA of the PostgreSQL TLS stage.
if ! command -v openssl >/dev/null; then
  apt+=(openssl)
fi
if ((${#apt[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${apt[@]}"
fi
note "$("$CHROMIUM" --version 2>/dev/null | head -1): ok"
note "$("$(pg_bin)/postgres" --version): ok"
note "$(firefox-esr --version 2>/dev/null): ok"
note "WebKitGTK $(dpkg-query -W -f='${Version}' libwebkit2gtk-4.1-0 2>/dev/null): ok"

# jwtXploiter, the JWT attack tool whose playbook `npm test` runs against a live server
# (tests/jwt-playbook/run.mjs), in a virtualenv of its own. Pinned: 1.2.1 imports
# cryptography internals that releases after 36 removed.
jwtxpl=.tools/jwtxploiter
if ! "$jwtxpl/bin/jwtxpl" --help >/dev/null 2>&1; then
  rm -rf "$jwtxpl"
  python3 -m venv "$jwtxpl"
  "$jwtxpl/bin/pip" install -q --disable-pip-version-check \
    "jwtxploiter==1.2.1" "cryptography==36.0.2" "cffi==2.1.1" "pycparser==3.12"
fi
note "jwtXploiter 1.2.1: ok"

# The partner guide's Python snippets (PyJWT, requests) run in the e2e suite
# (tests/e2e/guide.spec.mjs) with these pinned releases.
guide_python=.tools/guide-python
if ! "$guide_python/bin/python" -c 'import jwt, requests, cryptography' >/dev/null 2>&1; then
  rm -rf "$guide_python"
  python3 -m venv "$guide_python"
  "$guide_python/bin/pip" install -q --disable-pip-version-check \
    "pyjwt[crypto]==2.15.1" "requests==2.34.2"
fi
note "PyJWT 2.15.1, requests 2.34.2: ok"

# Reinstall node_modules only when package.json or the lockfile changed since the last
# install (the stamp holds their hash).
stamp=node_modules/.crosspass-stamp
want="$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  # puppeteer-core drives the system's Firefox and Chromium: no browser download.
  export PUPPETEER_SKIP_DOWNLOAD=1
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
  cat package.json package-lock.json | sha256sum | cut -d' ' -f1 >"$stamp"
fi
note "node_modules (binaryen $(wasm-opt --version | awk '{print $3}'), playwright, jose): ok"
