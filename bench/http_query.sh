#!/usr/bin/env bash
# Query latency over HTTP under concurrent load: simulate PACKS packs, import them (embedded),
# serve the store, and drive `GET /epcis/events?MATCH_epc=<random unit>&perPage=100` with wrk
# (CONNECTIONS connections on 2 threads, DURATION). Beside it, in the same run, the floor of
# the HTTP stack: `GET /health` under the same load. Issue D's target: p99 under 5 ms with 10
# million events stored (about 14 million packs: the simulation writes 0.77 events per pack).
# Needs wrk (Debian package `wrk`).
# Usage: bash bench/http_query.sh [PACKS]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
packs=${1:-1000000}
connections=${CONNECTIONS:-8}
duration=${DURATION:-30s}
work=${WORK:-$(mktemp -d)}
cargo build --release --quiet -p serialhub
bin=${CARGO_TARGET_DIR:-target}/release/serialhub
export SERIALHUB_NOW=2026-11-24T00:00:00Z
sim="$work/sim-$packs"
[ -d "$sim" ] || "$bin" simulate --seed 1 --packs "$packs" --faults 0.001 --out "$sim" >/dev/null
if [ ! -f "$work/data-$packs/journal.shj" ]; then
  "$bin" import --data "$work/data-$packs" "$sim" | grep -E "^(events|EPCs|time)"
fi
# 20,000 units named by the documents, in random order, as a Lua table for wrk.
{
  echo "epcs = {"
  grep -ho '"urn:epc:id:sgtin:[^"]*"' "$sim"/*.jsonld | shuf -n 20000 --random-source=<(yes) | sed 's/$/,/'
  echo "}"
  cat <<'LUA'
math.randomseed(7)
request = function()
  local epc = epcs[math.random(#epcs)]
  local encoded = epc:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end)
  return wrk.format("GET", "/epcis/events?perPage=100&MATCH_epc=" .. encoded, {["Authorization"] = "Bearer " .. key})
end
LUA
} > "$work/query.lua"
key=$("$bin" keys create --data "$work/data-$packs" --name bench --role query | tail -1)
sed -i "1i key = \"$key\"" "$work/query.lua"
cat > "$work/health.lua" <<'LUA'
request = function() return wrk.format("GET", "/health") end
LUA
start=$(date +%s.%N)
# One load generator is one client address: the per-client rate limit (1,000 a second by
# default) is lifted for the measurement.
SERIALHUB_LIMITS__REQUESTS_PER_SECOND=0 "$bin" serve --data "$work/data-$packs" --listen 127.0.0.1:0 2>"$work/server.log" &
server=$!
addr=""
while [ -z "$addr" ]; do
  sleep 0.2
  addr=$(grep -o '"msg":"listening","addr":"[^"]*"' "$work/server.log" | sed 's/.*"addr":"//; s/"$//' || true)
done
printf 'open (journal replay): %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
curl -sS "http://$addr/health"; echo
echo "== one sample query"
epc=$(sed -n 3p "$work/query.lua" | tr -d '",')
curl -sS -H "Authorization: Bearer $key" "http://$addr/epcis/events?perPage=100&MATCH_epc=$epc" | grep -o '"bizStep": *"[^"]*"' | head
for round in 1 2; do
  echo "== round $round: floor, GET /health, $connections connections"
  wrk -t2 -c"$connections" -d"$duration" --latency -s "$work/health.lua" "http://$addr" | grep -E "50%|99%|Requests/sec|Non-2xx"
  echo "== round $round: GET /epcis/events?MATCH_epc=...&perPage=100, $connections connections"
  wrk -t2 -c"$connections" -d"$duration" --latency -s "$work/query.lua" "http://$addr" | grep -E "50%|90%|99%|Requests/sec|Non-2xx"
done
kill -TERM "$server"; wait "$server"
