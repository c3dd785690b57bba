#!/usr/bin/env bash
# Builds the demo partner sites that need a build: DEF is a Vite app that installs the
# SDK's npm package (dist/crosspass-*.tgz, made by build-wasm.sh). Output: dist/def/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

step "build demo sites (DEF: Vite + the packed crosspass package)"
# A fresh install every time: the tarball's name stays the same across builds.
rm -rf www/def/node_modules/crosspass
(cd www/def && npm install --no-package-lock --no-audit --no-fund --silent)
vite build --config www/def/vite.config.js
note "dist/def: $(find dist/def -type f | wc -l) files"
