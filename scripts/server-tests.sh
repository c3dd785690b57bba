#!/usr/bin/env bash
# server-tests.sh [ARGS...]: runs the server's integration tests (crates/server/tests)
# with ARGS passed to each test harness.
#
# It runs the very executables `cargo test --workspace` builds: a narrower cargo
# command (`-p crosspass-server`, or naming test targets) resolves dependency features
# differently and would recompile much of the tree. scripts/test.sh runs it under
# scripts/with-postgres.sh for the PostgreSQL stage.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

mapfile -t tests < <(
  cargo test --workspace --no-run --message-format=json-render-diagnostics |
    node -e '
      const manifest = process.argv[1];
      let text = "";
      process.stdin.on("data", (d) => (text += d)).on("end", () => {
        for (const line of text.split("\n")) {
          if (!line.startsWith("{")) continue;
          const m = JSON.parse(line);
          if (m.reason === "compiler-artifact" && m.executable &&
              m.target.kind.includes("test") && m.manifest_path === manifest) {
            console.log(m.executable);
          }
        }
      });' "$ROOT/crates/server/Cargo.toml" | sort
)
if ((${#tests[@]} == 0)); then
  echo "no server integration tests were built" >&2
  exit 1
fi

# cargo runs integration tests from the package directory; so does this.
cd crates/server
rc=0
for t in "${tests[@]}"; do
  echo "     Running ${t##*/}"
  "$t" "$@" || rc=1
done
exit "$rc"
