#!/usr/bin/env bash
# The fuzz targets in fuzz/ (cargo-fuzz, libFuzzer). cargo-fuzz passes nightly-only
# rustc flags (sanitizers, coverage); the stable toolchain accepts them with
# RUSTC_BOOTSTRAP=1, so no nightly toolchain is needed.
#
#   scripts/fuzz.sh build                 builds every target
#   scripts/fuzz.sh list                  names the targets
#   scripts/fuzz.sh run TARGET [SECONDS]  fuzzes TARGET for SECONDS (default 20) from
#                                         fuzz/seeds/TARGET (committed) and the corpus
#                                         it grows in fuzz/corpus/TARGET (not committed)
#
# A crash stops the run, leaves its input in fuzz/artifacts/TARGET/ and fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT/fuzz"
export RUSTC_BOOTSTRAP=1

case "${1:-}" in
  build) cargo fuzz build ;;
  list) cargo fuzz list ;;
  run)
    target="${2:?target}" seconds="${3:-20}"
    mkdir -p "corpus/$target"
    # libFuzzer reports every new input; keep its start, its end and any failure.
    cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 2>&1 |
      { grep -Ev '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|RELOAD)' || true; }
    ;;
  *)
    echo "usage: $0 build | list | run TARGET [SECONDS]" >&2
    exit 2
    ;;
esac
