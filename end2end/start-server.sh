#!/usr/bin/env bash
# Starts the release server for the browser tests on a fresh SQLite
# database with one tenant (and administrator) per test that writes, a
# provider operator, and a real SMTP server (aiosmtpd, from
# scripts/setup --test) whose maildir the email tests read. Test events
# may reach loopback, where the tests run their receiver.
set -euo pipefail
cd "$(dirname "$0")/.."
port="$1"
data="end2end/.data"
rm -rf "$data"
export EVENTURL_DATA_DIR="$data" LEPTOS_SITE_ROOT=target/site
unset DATABASE_URL EVENTURL_SECRET_KEY
export EVENTURL_ALLOW_PRIVATE_TARGETS=127.0.0.0/8
bin=target/release/eventurl
for n in $(seq 1 27); do
  "$bin" tenant create --name "Tenant $n" >/dev/null
  echo "correct horse battery staple" | "$bin" admin create --tenant "Tenant $n" --username "admin$n" >/dev/null
done
# A viewer beside the administrator, for the people tests.
echo "correct horse battery staple" | "$bin" admin create --tenant "Tenant 19" --username viewer19 --role viewer >/dev/null
# The provider's operator, for the console tests.
echo "correct horse battery staple" | "$bin" operator create --username olivia >/dev/null
# A second operator, for the operators' two-factor test.
echo "correct horse battery staple" | "$bin" operator create --username oscar >/dev/null
# The PBX's side, for the delivery tests: a key and the tenants' ids.
key=$("$bin" ingest-key create --name e2e --all-tenants 2>/dev/null)
"$bin" tenant list | awk -F'\t' -v key="$key" '
  NR == 1 { printf "{\"key\":\"%s\",\"tenants\":{", key; next }
  { printf "%s\"%s\":%s", (NR > 2 ? "," : ""), $2, $1 }
  END { print "}}" }' > "$data/ingest.json"
# Letters land in $data/mail (a maildir).
mkdir -p "$data/mail/new" "$data/mail/cur" "$data/mail/tmp"
smtp_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/aiosmtpd/bin/python -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$data/mail" &
smtp=$!
export EVENTURL_SMTP_URL="smtp://127.0.0.1:$smtp_port"
"$bin" serve --site-addr "127.0.0.1:$port" &
server=$!
trap 'kill $server $smtp 2>/dev/null' EXIT INT TERM
wait $server
