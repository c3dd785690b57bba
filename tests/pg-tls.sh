#!/usr/bin/env bash
# Run by `scripts/with-postgres.sh --tls`: the server binary reaches a PostgreSQL that
# takes TLS only, with `sslmode=verify-full` and the CA that signed its certificate,
# and is refused with another CA or without TLS.
set -uo pipefail
bin="${CROSSPASS_SERVER_BIN:?}"
base="${CROSSPASS_TEST_DATABASE_URL:?}"
failed=0
try() { # try NAME EXPECT(ok|fail) QUERY
  local out rc
  out="$(CROSSPASS_ISSUER=http://sso.localhost:1 CROSSPASS_DATABASE_URL="$base?$3" "$bin" migrate 2>&1)"
  rc=$?
  if [[ "$2" == ok && $rc -eq 0 ]] || [[ "$2" == fail && $rc -ne 0 ]]; then
    printf 'ok    %-44s %s\n' "$1" "$(head -c 110 <<<"$out" | tr '\n' ' ')"
  else
    printf 'FAIL  %-44s %s\n' "$1" "$out"
    failed=1
  fi
}
try "verify-full with the server's CA" ok "sslmode=verify-full&sslrootcert=$CROSSPASS_TEST_PG_CA"
try "verify-full with another CA" fail "sslmode=verify-full&sslrootcert=$CROSSPASS_TEST_PG_OTHER_CA"
try "verify-full with the system CAs only" fail "sslmode=verify-full"
try "no TLS (the cluster takes hostssl only)" fail "sslmode=disable"
exit "$failed"
