#!/usr/bin/env bash
# The exception workbench over HTTP with a million exceptions: N shipments of packs nobody
# commissioned (each raises one F1 `never_commissioned`) are imported into an embedded store,
# `serialhub serve` rebuilds its workbench from them at start, and `GET /api/exceptions` with
# filters is timed from one keep-alive client (median and p99 of 200 requests each). Beside it,
# in the same run, the floor of the same HTTP path: `GET /health`. Issue E's target: under
# 50 ms over one million exceptions.
# Usage: bash bench/workbench_http.sh [N]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=${WORK:-$(mktemp -d)}
cargo build --release --quiet -p serialhub
bin=${CARGO_TARGET_DIR:-target}/release/serialhub
export SERIALHUB_NOW=2026-11-24T00:00:00Z
docs="$work/docs-$n"
if [ ! -d "$docs" ]; then
  mkdir -p "$docs"
  python3 - "$n" "$docs" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
per = 20_000
for d in range(0, n, per):
    events = [{
        "type": "ObjectEvent", "eventTime": "2025-01-02T09:00:00Z", "eventTimeZoneOffset": "+00:00",
        "epcList": [f"urn:epc:id:sgtin:0614141.107346.{i}"], "action": "OBSERVE",
        "bizStep": "shipping", "disposition": "in_transit",
        "bizLocation": {"id": "urn:epc:id:sgln:0614141.00000.0"},
    } for i in range(d, min(n, d + per))]
    doc = {"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-01-01T00:00:00Z",
           "epcisBody": {"eventList": events}}
    with open(f"{out}/{d // per:05}.jsonld", "w") as f:
        json.dump(doc, f)
PY
fi
data="$work/data-$n"
[ -f "$data/journal.shj" ] || "$bin" import --data "$data" "$docs" | grep -E "^(events|exceptions|time)" || true
key=$("$bin" keys create --data "$data" --name bench --role query | tail -1)
start=$(date +%s.%N)
SERIALHUB_LIMITS__REQUESTS_PER_SECOND=0 "$bin" serve --data "$data" --listen 127.0.0.1:0 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
addr=""
while [ -z "$addr" ]; do
  sleep 0.2
  addr=$(grep -o '"msg":"listening","addr":"[^"]*"' "$work/server.log" | sed 's/.*"addr":"//; s/"$//' || true)
done
printf 'open (journal replay and workbench rebuild): %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
python3 - "$addr" "$key" <<'PY'
import http.client, sys, time, json
host, port = sys.argv[1].rsplit(":", 1)
key = sys.argv[2]
conn = http.client.HTTPConnection(host, int(port))
def timed(path, auth=True):
    runs = []
    body = None
    for _ in range(200):
        t = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {key}"} if auth else {})
        r = conn.getresponse()
        body = r.read()
        assert r.status == 200, (r.status, body[:300])
        runs.append((time.perf_counter() - t) * 1000)
    runs.sort()
    return runs[len(runs) // 2], runs[int(len(runs) * 0.99)], body
print("| request | median (ms) | p99 (ms) | total matching |")
print("|---|---|---|---|")
med, p99, _ = timed("/health", auth=False)
print(f"| GET /health (floor) | {med:.2f} | {p99:.2f} | |")
for path in ["/api/exceptions?perPage=100", "/api/exceptions?type=F1&status=new&perPage=100",
             "/api/exceptions?open=true&owner=warehouse&rootCause=unknown&perPage=100",
             "/api/exceptions?type=F5&perPage=100", "/api/exceptions/groups"]:
    med, p99, body = timed(path)
    total = json.loads(body).get("total", "")
    print(f"| GET {path} | {med:.2f} | {p99:.2f} | {total} |")
PY
