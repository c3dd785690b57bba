#!/usr/bin/env bash
# `npm start`: install what is missing, build, then run XYZ and the demo partner sites.
# Ports: XYZ_PORT (8080), ABC_PORT (8081), DEF_PORT (8082), EXAMPLE2_PORT (8083),
# MYHEALTH_PORT (8084), IDP_PORT (8085).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/setup.sh
bash scripts/build.sh
step "start"
export CROSSPASS_SERVER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/server/crosspass"
exec node demo/stack.mjs
