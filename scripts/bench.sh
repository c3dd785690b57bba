#!/usr/bin/env bash
# `npm run bench [-- SECTION…]`: installs what is missing (wrk from Debian, for the
# load tests), then runs bench/run.mjs, which builds what it measures.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/setup.sh >&2
if ! command -v wrk >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q wrk >&2
fi
exec node bench/run.mjs "$@"
