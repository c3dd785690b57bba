#!/usr/bin/env bash
# `npm run build`: the wasm bundles (with their size table), the npm package, the demo
# sites that need a build, and the server binary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/build-wasm.sh
bash scripts/build-sites.sh
step "build server (profile server)"
cargo build --profile server -p crosspass-server
