#!/usr/bin/env bash
# docs/deployment.md's systemd unit and nginx server block, as written there: the unit
# passes `systemd-analyze verify`, its ExecStartPre and ExecStart lines migrate and start
# the server binary, and the nginx block terminates TLS (HTTP/2) for the issuer's origin
# in front of it, passing on the request id and a client address the client cannot
# choose. Only paths, names and ports are replaced.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$ROOT"
bin="${CROSSPASS_SERVER_BIN:?}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT
failed=0
check() { # check NAME COMMAND...: one line per check, and the whole fails on any
  if out="$("${@:2}" 2>&1)"; then
    printf 'ok    %s\n' "$1"
  else
    printf 'FAIL  %s\n%s\n' "$1" "$out"
    failed=1
  fi
}
# The text of the first ```LANG block of the deployment guide.
block() { awk -v lang="$1" '$0 == "```" lang {on = 1; next} on && $0 == "```" {exit} on' docs/deployment.md; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

proxy_port="$(free_port)"
app_port="$(free_port)"
issuer="https://sso.localhost:$proxy_port"

# The unit, with the release folder and the service's data here.
unit="$work/crosspass.service"
block ini |
  sed -e "s|/opt/crosspass/crosspass|$bin|g" -e "s|/opt/crosspass|$ROOT|g" \
    -e "s|/etc/crosspass/crosspass.toml|$work/crosspass.toml|g" -e "s|/etc/crosspass/kek|$work/kek|g" \
    -e "s|/var/lib/crosspass|$work|g" -e "s|^User=.*|User=root|" -e "s|^Group=.*|Group=root|" >"$unit"
check "the unit has the guide's commands" grep -q "^ExecStart=$bin --config" "$unit"
check "systemd-analyze verify accepts the unit" bash -c \
  "out=\$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no '$unit' 2>&1); echo \"\$out\"; [[ -z \$(grep -v 'network-online.target' <<<\"\$out\") ]]"

# The configuration the guide pairs with the proxy.
# The guide's key-encryption key line, into this test's folder.
kek_line="$(awk '/^```sh/{on=1;next} on&&/^```/{on=0;next} on' docs/deployment.md | grep '^openssl rand')"
check "docs: $kek_line" bash -c "${kek_line//\/etc\/crosspass/$work} && test \$(stat -c %a '$work/kek') = 400"
cat >"$work/crosspass.toml" <<EOF
issuer = "$issuer"
listen = "127.0.0.1:$app_port"
database_url = "sqlite://$work/crosspass.db?mode=rwc"
trusted_proxy_header = "x-forwarded-for"
key_encryption_key_file = "$work/kek"
# Low, so that a burst from one client address is refused within this test.
rate_limit_per_address = 5
rate_limit_burst_secs = 1
EOF
pre="$(sed -n 's/^ExecStartPre=//p' "$unit")"
start="$(sed -n 's/^ExecStart=//p' "$unit")"
check "ExecStartPre (migrate)" $pre
$start >"$work/serve.log" 2>&1 &
pids+=($!)

# A throwaway CA and a certificate for the issuer's host.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=test CA" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=sso.localhost" \
  -keyout "$work/privkey.pem" -out "$work/req.csr" 2>/dev/null
openssl x509 -req -in "$work/req.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
  -extfile <(printf 'subjectAltName=DNS:sso.localhost') -out "$work/fullchain.pem" 2>/dev/null

# The guide's server block inside a minimal nginx.conf of this test's own.
server_block="$(block nginx |
  sed -e "s|listen 443 ssl http2;|listen 127.0.0.1:$proxy_port ssl http2;|" -e "s|sso.example.com;|sso.localhost;|" \
    -e "s|/etc/ssl/sso.example.com/|$work/|g" -e "s|127.0.0.1:8080|127.0.0.1:$app_port|")"
cat >"$work/nginx.conf" <<EOF
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events {}
http {
    access_log off;
    client_body_temp_path $work/nginx-body;
    proxy_temp_path $work/nginx-proxy;
    fastcgi_temp_path $work/nginx-fastcgi;
    uwsgi_temp_path $work/nginx-uwsgi;
    scgi_temp_path $work/nginx-scgi;
$server_block
}
EOF
check "nginx -t accepts the guide's block" nginx -t -c "$work/nginx.conf"
nginx -c "$work/nginx.conf" &
pids+=($!)

via_proxy() { curl -sS --cacert "$work/ca.pem" --http2 "$@"; }
for _ in $(seq 50); do
  via_proxy -o /dev/null "$issuer/health/live" 2>/dev/null && break
  sleep 0.2
done
check "ready over TLS and HTTP/2 through the proxy" bash -c \
  "[[ \$(curl -sS --cacert '$work/ca.pem' --http2 -o /dev/null -w '%{http_code} %{http_version}' '$issuer/health/ready') == '200 2' ]]"
check "the metadata names the https issuer" bash -c \
  "curl -sS --cacert '$work/ca.pem' '$issuer/.well-known/oauth-authorization-server' | grep -q '\"issuer\":\"$issuer\"'"
# nginx's \$request_id reaches the server: it answers with it and logs it.
id="$(via_proxy -o /dev/null -D - "$issuer/health/live" | tr -d '\r' | sed -n 's/^x-request-id: //p')"
check "the proxy's request id is accepted and echoed" grep -Eq '^[0-9a-f]{32}$' <<<"$id"
check "the request id is in the server's log" grep -qF "request_id=\"${id:-none}\"" "$work/serve.log"
# A client naming a new address in X-Forwarded-For on each request is still one
# address: the proxy sets the header, and the limit (5 per second) refuses the burst.
statuses=()
for i in $(seq 20); do
  statuses+=("$(via_proxy -o /dev/null -D "$work/headers.$i" -w '%{http_code}' \
    -H "X-Forwarded-For: 203.0.113.$i" -d grant_type=x "$issuer/oauth/token")")
done
check "a spoofed X-Forwarded-For does not escape the address limit (${statuses[*]})" \
  grep -q 429 <<<"${statuses[*]}"
check "every refusal says when to retry" bash -c \
  "for f in '$work'/headers.*; do grep -q '^HTTP/2 429' \"\$f\" || continue; tr -d '\r' <\"\$f\" | grep -qi '^retry-after: [0-9]' || exit 1; done"

# The guide's admin commands, as written, against the running server's database: each
# `crosspass …` line of its sh blocks, comments dropped, KID the current key's.
node demo/partner.mjs keygen --key "$work/abc.private.jwk" >"$work/abc.jwks.json"
admin() { (cd "$work" && "$bin" --config "$work/crosspass.toml" "$@"); }
check "a partner abc and its user u-4711 to change" bash -c \
  "$(printf '%q ' "$bin") --config '$work/crosspass.toml' partner add --client-id abc --tenant abc \
     --issuer https://abc.example --jwks '$work/abc.jwks.json' --origin https://abc.example --scopes 'form.read form.write' &&
   $(printf '%q ' "$bin") --config '$work/crosspass.toml' user provision --tenant abc u-4711"
admin keys rotate >/dev/null
kid="$(admin keys list | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).keys.at(-1).kid))')"
cli="$(printf '%q' "$bin") --config $work/crosspass.toml"
while IFS= read -r line; do
  line="${line%%#*}"
  line="${line/KID/$kid}"
  check "docs: ${line%"${line##*[! ]}"}" bash -c "cd '$work' && ${line/crosspass /$cli }"
done < <(awk '/^```sh/{on=1;next} on&&/^```/{on=0;next} on' docs/deployment.md |
  sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep '^crosspass ')
# The SQLite backup line, then the copy opened by the binary.
backup="$(awk '/^```sh/{on=1;next} on&&/^```/{on=0;next} on' docs/deployment.md | grep '^sqlite3 ')"
# The guide's path is the default database's; here it is the running server's.
check "docs: $backup" bash -c "cd '$work' && ${backup/.data\/crosspass.db/$work/crosspass.db}"
check "the backup opens and is current" bash -c \
  "CROSSPASS_ISSUER='$issuer' CROSSPASS_DATABASE_URL='sqlite://$work/backup.db' $(printf '%q' "$bin") partner show abc >/dev/null"

# The unit's stop: SIGTERM ends the server cleanly.
kill -TERM "${pids[0]}"
wait "${pids[0]}"
check "SIGTERM stops the server with status 0" test $? -eq 0
pids=("${pids[@]:1}")
exit "$failed"
