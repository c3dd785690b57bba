#!/usr/bin/env bash
# with-postgres.sh [--tls] COMMAND...: runs COMMAND beside a throwaway PostgreSQL cluster
# and removes the cluster afterwards, whatever COMMAND did.
#
# With --tls the cluster accepts TLS connections only (hostssl), with a server
# certificate for 127.0.0.1 and localhost signed by a throwaway CA; COMMAND finds that
# CA in CROSSPASS_TEST_PG_CA and another CA, which signed nothing, in
# CROSSPASS_TEST_PG_OTHER_CA.
#
# The cluster lives in a fresh temporary directory, listens on a free port of
# 127.0.0.1 only (its Unix socket stays inside that directory), and has one
# password-protected superuser. COMMAND finds it in CROSSPASS_TEST_DATABASE_URL
# (postgres://postgres:…@127.0.0.1:PORT/postgres); the server's integration tests
# create a database of their own on it for every test. PostgreSQL refuses to run as
# root, so as root the cluster runs as the `postgres` user that Debian's package
# creates. Durability is switched off (fsync, full-page writes): the cluster is
# thrown away, and atomicity and isolation, which the tests are about, do not
# depend on it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tls=0
if [[ "${1:-}" == "--tls" ]]; then
  tls=1
  shift
fi
if (($# == 0)); then
  echo "usage: $0 [--tls] COMMAND..." >&2
  exit 2
fi
bin="$(pg_bin)"
if [[ -z "$bin" ]]; then
  echo "no PostgreSQL server found (run scripts/setup.sh, or set PG_BIN)" >&2
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/crosspass-pg.XXXXXX")"
as_owner=()
if ((EUID == 0)); then
  chown postgres: "$tmp"
  as_owner=(runuser -u postgres --)
fi
pg() { (cd "$tmp" && "${as_owner[@]}" "$@"); }

stop() {
  if [[ -f "$tmp/data/postmaster.pid" ]]; then
    pg "$bin/pg_ctl" stop -D "$tmp/data" -m fast -w >/dev/null || true
  fi
  rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

password="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$password" >"$tmp/password"
mkdir "$tmp/run"
if ((EUID == 0)); then chown postgres: "$tmp/password" "$tmp/run"; fi
pg "$bin/initdb" -D "$tmp/data" -U postgres --pwfile="$tmp/password" \
  --auth=scram-sha-256 --encoding=UTF8 --no-locale --no-sync >"$tmp/initdb.log" ||
  {
    cat "$tmp/initdb.log" >&2
    exit 1
  }
rm "$tmp/password"

ssl_opts=""
if ((tls)); then
  (
    cd "$tmp"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -subj /CN=crosspass-test-ca -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -subj /CN=other-ca -keyout other.key -out other-ca.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
      -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile san.ext -out server.pem 2>/dev/null
    chmod 600 server.key
  )
  if ((EUID == 0)); then chown postgres: "$tmp/server.key" "$tmp/server.pem"; fi
  printf 'local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n' >"$tmp/data/pg_hba.conf"
  ssl_opts="-c ssl=on -c ssl_cert_file=$tmp/server.pem -c ssl_key_file=$tmp/server.key"
  export CROSSPASS_TEST_PG_CA="$tmp/ca.pem" CROSSPASS_TEST_PG_OTHER_CA="$tmp/other-ca.pem"
fi

port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')"
if ! pg "$bin/pg_ctl" start -D "$tmp/data" -l "$tmp/server.log" -w -t 30 -o \
  "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$tmp/run \
   -c max_connections=300 -c fsync=off -c full_page_writes=off -c synchronous_commit=off $ssl_opts" \
  >/dev/null; then
  cat "$tmp/server.log" >&2
  exit 1
fi
note "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $tmp)"

export CROSSPASS_TEST_DATABASE_URL="postgres://postgres:$password@127.0.0.1:$port/postgres"
rc=0
"$@" || rc=$?
exit "$rc"
