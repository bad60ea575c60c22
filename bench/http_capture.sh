#!/usr/bin/env bash
# Capture over HTTP against direct import, same documents, same run: simulate PACKS packs,
# import them with `serialhub import` (the peer), then POST them one by one in file order to
# `serialhub serve` (`POST /epcis/capture`, as a packaging line or partner system would) and
# wait for the last capture job to finish. Both stores are embedded and durable (every job is
# synced before it counts), and both capture the documents in the same order, so they make the
# same decisions. The target (issue D) is HTTP at 70% or more of direct import.
# Usage: bash bench/http_capture.sh [PACKS]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
packs=${1:-1000000}
work=${WORK:-$(mktemp -d)}
cargo build --release --quiet -p serialhub
bin=${CARGO_TARGET_DIR:-target}/release/serialhub
export SERIALHUB_NOW=2026-11-24T00:00:00Z
[ -d "$work/sim-$packs" ] || "$bin" simulate --seed 1 --packs "$packs" --faults 0.001 --out "$work/sim-$packs" >/dev/null
du -sh "$work/sim-$packs"

for round in 1 2; do
  echo "== round $round: direct import"
  rm -rf "$work/import"
  start=$(date +%s.%N)
  "$bin" import --data "$work/import" "$work/sim-$packs" | grep -E "^(events|EPCs|time)"
  import_s=$(echo "$(date +%s.%N) - $start" | bc)

  echo "== round $round: capture over HTTP"
  rm -rf "$work/http"
  key=$("$bin" keys create --data "$work/http" --name bench --role capture | tail -1)
  "$bin" serve --data "$work/http" --listen 127.0.0.1:0 2>"$work/server.log" &
  server=$!
  addr=""
  while [ -z "$addr" ]; do
    sleep 0.05
    addr=$(grep -o '"msg":"listening","addr":"[^"]*"' "$work/server.log" | sed 's/.*"addr":"//; s/"$//' || true)
  done
  start=$(date +%s.%N)
  last=""
  for doc in "$work/sim-$packs"/*.jsonld; do
    last=$(curl -sS -D - -o /dev/null -H "Authorization: Bearer $key" \
      -H 'Content-Type: application/ld+json' --data-binary "@$doc" "http://$addr/epcis/capture" \
      | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    [ -n "$last" ] || { echo "POST $doc was not accepted" >&2; kill "$server"; exit 1; }
  done
  while curl -sS -H "Authorization: Bearer $key" "http://$addr$last" | grep -q '"running":true'; do
    sleep 0.01
  done
  http_s=$(echo "$(date +%s.%N) - $start" | bc)
  curl -sS -H "Authorization: Bearer $key" "http://$addr$last"; echo
  kill -TERM "$server"; wait "$server"
  # The server also writes each event's hash ID as its eventID (EPCIS: events captured without
  # one get one), so its journal is larger by that much.
  echo "journal bytes: import $(stat -c %s "$work/import/journal.shj"), HTTP $(stat -c %s "$work/http/journal.shj")"
  printf 'round %s: import %.2f s, HTTP %.2f s, HTTP/import = %.0f%%\n' "$round" "$import_s" "$http_s" \
    "$(echo "100 * $import_s / $http_s" | bc -l)"
done
