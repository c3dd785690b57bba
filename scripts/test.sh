#!/usr/bin/env bash
# The whole gate: formatting, lints (native and wasm32), native tests, the server's
# integration tests again on PostgreSQL, fuzzing, wasm tests in headless Chromium, the
# wasm build, the end-to-end browser suite (Chromium), and the core flows in Chromium,
# Firefox and WebKit.
# Every stage runs even if an earlier one failed, so one run reports everything; the
# last line is "N passed, M failed" over all stages (a failed gate with no test
# counts of its own counts as one failure).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/setup.sh || exit 1

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
passed=0 failed=0
summary=()

# Sums the "test result: … N passed; M failed" lines of cargo's harness and of
# wasm-bindgen-test-runner.
count_cargo() {
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
       END { printf "%d %d\n", p, f }' "$1"
}

# stage NAME KIND COMMAND...   KIND: gate (no counts), cargo, playwright, playbook, engines
stage() {
  local name="$1" kind="$2"
  shift 2
  step "$name"
  local log="$logs/${name//[^a-z0-9]/_}.log" start=$SECONDS rc p=0 f=0
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  case "$kind" in
    cargo) read -r p f < <(count_cargo "$log") ;;
    playwright) read -r p f < <(node tests/e2e/count.mjs) ;;
    playbook) read -r p f < <(awk '/^playbook:/ {print $2, $4}' "$log") ;;
    engines) read -r p f < <(awk '/^engines:/ {print $2, $4}' "$log") ;;
  esac
  if ((rc != 0 && f == 0)); then f=1; fi
  passed=$((passed + p)) failed=$((failed + f))
  local status=ok
  ((rc == 0)) || status=FAILED
  summary+=("$(printf '%-28s %-6s %5d passed %4d failed %5ds' "$name" "$status" "$p" "$f" $((SECONDS - start)))")
  return "$rc"
}

stage "cargo fmt" gate cargo fmt --all --check
stage "clippy native" gate cargo clippy --workspace --all-targets --all-features -- -D warnings
# The protocol crate's tests use native-only dev-dependencies (proptest),
# so on wasm32 its library is linted and the hub and SDK with all their targets.
stage "clippy wasm32 protocol" gate \
  cargo clippy --target wasm32-unknown-unknown -p crosspass-protocol --lib -- -D warnings
stage "clippy wasm32 web+hub" gate \
  cargo clippy --target wasm32-unknown-unknown -p crosspass-web -p crosspass-hub --all-targets --all-features \
  -- -D warnings
stage "cargo test native" cargo cargo test --workspace --no-fail-fast
# The same server integration tests on a throwaway PostgreSQL cluster, started on a
# free loopback port and removed afterwards (scripts/with-postgres.sh).
stage "server tests postgres" cargo bash scripts/with-postgres.sh bash scripts/server-tests.sh
# Fuzzing: every target for a short bounded time from its committed seeds (longer runs:
# scripts/fuzz.sh run TARGET SECONDS).
if stage "fuzz build" gate bash scripts/fuzz.sh build; then
  while read -r target; do
    stage "fuzz $target" gate bash scripts/fuzz.sh run "$target" 20
  done < <(bash scripts/fuzz.sh list)
fi
# The e2e suite runs the dev server binary. cargo test has just built it for the
# server's integration tests; a separate `cargo build -p crosspass-server` would resolve
# features without dev-dependencies and recompile most of the tree, so it runs only
# when that binary is missing or older than a source it is built from.
server_bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/crosspass"
if [[ ! -x "$server_bin" ]] ||
  [[ -n "$(find crates/server crates/protocol crates/jwt crates/form Cargo.toml Cargo.lock -newer "$server_bin" -print -quit)" ]]; then
  stage "build server (dev)" gate cargo build -p crosspass-server
fi
# TLS to PostgreSQL: verify-full against a cluster that takes TLS only.
CROSSPASS_SERVER_BIN="$server_bin" stage "postgres tls" gate bash scripts/with-postgres.sh --tls bash tests/pg-tls.sh
# The deployment guide's PostgreSQL lines: role and database, backup and restore.
CROSSPASS_SERVER_BIN="$server_bin" stage "postgres backup (docs)" gate bash scripts/with-postgres.sh bash tests/pg-backup.sh
# The JWT attack playbook, black box against the server binary (SECURITY.md).
CROSSPASS_SERVER_BIN="$server_bin" stage "jwt attack playbook" playbook node tests/jwt-playbook/run.mjs
stage "wasm tests (chromium)" cargo \
  cargo test --target wasm32-unknown-unknown -p crosspass-web -p crosspass-hub --all-features --no-fail-fast
if stage "build wasm" gate bash scripts/build-wasm.sh && stage "build sites" gate bash scripts/build-sites.sh; then
  # The deployment guide's systemd unit and nginx block, as written there (the server
  # it starts serves the frames, so it needs the build).
  CROSSPASS_SERVER_BIN="$server_bin" stage "deployment (systemd, nginx)" gate bash tests/deployment.sh
  rm -f tests/e2e/.output/report.json
  CROSSPASS_SERVER_BIN="$server_bin" \
    stage "e2e (playwright)" playwright playwright test --config tests/e2e/playwright.config.mjs
  # The core flows in every engine (tests/engines), then the README's compatibility
  # table rendered from what they just did.
  rm -f tests/engines/.output/results.json
  for engine in chromium firefox webkit; do
    CROSSPASS_SERVER_BIN="$server_bin" stage "engines ($engine)" engines node tests/engines/run.mjs "$engine"
  done
  stage "compatibility table" gate node tests/engines/table.mjs README.md
else
  summary+=("deployment, e2e and engines  SKIPPED (no build)")
  failed=$((failed + 1))
fi

step "summary"
printf '    %s\n' "${summary[@]}"
echo
echo "$passed passed, $failed failed"
((failed == 0))
