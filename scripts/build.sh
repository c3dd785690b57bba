#!/usr/bin/env bash
# `npm run build`: the wasm bundles (with their size table) and the server binary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/build-wasm.sh
step "build server (profile server)"
cargo build --profile server -p crosspass-server
