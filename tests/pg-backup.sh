#!/usr/bin/env bash
# Run by `scripts/with-postgres.sh`: docs/deployment.md's PostgreSQL lines as written —
# the role and database made once, the server's schema in them, then the backup and
# restore — with only the host, port and passwords filled in. The restored copy is
# opened by the server binary and holds what the original held.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$ROOT"
bin="${CROSSPASS_SERVER_BIN:?}"
super="${CROSSPASS_TEST_DATABASE_URL:?}"
hostport="${super#*@}"
hostport="${hostport%%/*}"
export PATH="$(pg_bin):$PATH" PGHOST="${hostport%:*}" PGPORT="${hostport#*:}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
check() {
  if out="$("${@:2}" 2>&1)"; then printf 'ok    %s\n' "$1"; else printf 'FAIL  %s\n%s\n' "$1" "$out"; failed=1; fi
}
# The lines of the sh block of the guide that holds MARKER.
block() { awk -v m="$1" '/^```sh/{on=1; buf=""; next} on&&/^```/{on=0; if (index(buf, m)) printf "%s", buf; next} on{buf = buf $0 "\n"}' docs/deployment.md; }

app_password="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
# The superuser runs the role and database lines (createuser reads the password from
# standard input when there is no terminal).
super_password="${super#postgres://postgres:}"
as_super=(env PGUSER=postgres PGPASSWORD="${super_password%%@*}")
while IFS= read -r line; do
  check "docs: $line" bash -c "printf '%s\n%s\n' '$app_password' '$app_password' | ${as_super[*]} $line"
done < <(block "createuser")

url="postgres://crosspass:$app_password@$hostport/crosspass"
server() { CROSSPASS_ISSUER=http://sso.localhost:1 CROSSPASS_DATABASE_URL="$1" "$bin" "${@:2}"; }
node demo/partner.mjs keygen --key "$work/abc.private.jwk" >"$work/abc.jwks.json"
check "the server's schema and a partner in the new database" bash -c \
  "$(declare -f server); bin='$bin'; server '$url' migrate && server '$url' partner add --client-id abc --tenant abc \
     --issuer https://abc.example --jwks '$work/abc.jwks.json' --origin https://abc.example --scopes form.read"

# The backup lines: the guide's host is db.internal, its password prompt PGPASSWORD.
while IFS= read -r line; do
  line="${line//crosspass@db.internal/crosspass@$hostport}"
  if [[ "$line" == createdb* ]]; then
    check "docs: $line" bash -c "cd '$work' && ${as_super[*]} $line"
  else
    check "docs: $line" bash -c "cd '$work' && PGPASSWORD='$app_password' $line"
  fi
done < <(block "pg_dump")
check "the restored database is served as it is" bash -c \
  "$(declare -f server); bin='$bin'; server 'postgres://crosspass:$app_password@$hostport/crosspass_restored' partner show abc | grep -q https://abc.example"
exit "$failed"
