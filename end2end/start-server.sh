#!/usr/bin/env bash
# Starts the release server for the browser tests on a fresh SQLite
# database with one tenant (and administrator) per test that writes. Test
# events may reach loopback, where the tests run their receiver.
set -euo pipefail
cd "$(dirname "$0")/.."
port="$1"
data="end2end/.data"
rm -rf "$data"
export EVENTURL_DATA_DIR="$data" LEPTOS_SITE_ROOT=target/site
unset DATABASE_URL EVENTURL_SECRET_KEY
export EVENTURL_ALLOW_PRIVATE_TARGETS=127.0.0.0/8
bin=target/release/eventurl
for n in $(seq 1 21); do
  "$bin" tenant create --name "Tenant $n" >/dev/null
  echo "correct horse battery staple" | "$bin" admin create --tenant "Tenant $n" --username "admin$n" >/dev/null
done
# A viewer beside the administrator, for the people tests.
echo "correct horse battery staple" | "$bin" admin create --tenant "Tenant 19" --username viewer19 --role viewer >/dev/null
# The PBX's side, for the delivery tests: a key and the tenants' ids.
key=$("$bin" ingest-key create --name e2e 2>/dev/null)
"$bin" tenant list | awk -F'\t' -v key="$key" '
  NR == 1 { printf "{\"key\":\"%s\",\"tenants\":{", key; next }
  { printf "%s\"%s\":%s", (NR > 2 ? "," : ""), $2, $1 }
  END { print "}}" }' > "$data/ingest.json"
exec "$bin" serve --site-addr "127.0.0.1:$port"
