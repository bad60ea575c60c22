#!/usr/bin/env bash
# Verification under load (issue F): N packs commissioned (with lot and expiry) and shipped are
# imported into an embedded store, `serialhub serve` answers VRS verifications
# (`/verify/gtin/.../lot/.../ser/...?exp=&reqGLN=`) of random known packs from `wrk` (a Lua
# script paces each connection to reach about RATE requests a second), and beside it, in the
# same run and with the same pacing, the static-file baseline: `GET /assets/consumer.css`
# served by the same binary. Then a harvesting run: 100,000 random serials from one address
# through the consumer check, with the default anti-harvesting limits.
# Usage: bash bench/verify_http.sh [N] [RATE]   (default 10,000,000 and 10,000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000000}
rate=${2:-10000}
work=${WORK:-$(mktemp -d)}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet -p serialhub
bin=${CARGO_TARGET_DIR:-target}/release/serialhub
export SERIALHUB_NOW=2026-11-24T00:00:00Z
docs="$work/docs-$n"
if [ ! -f "$docs/paths.txt" ]; then
  mkdir -p "$docs"
  python3 - "$n" "$docs" <<'PY'
import json, random, sys
n, out = int(sys.argv[1]), sys.argv[2]
per = 20_000
random.seed(1)
sample = []
for d in range(0, n, per):
    lot = f"L{d // per}"
    serials = [f"S{i}" for i in range(d, min(n, d + per))]
    epcs = [f"urn:epc:id:sgtin:4012345.011111.{s}" for s in serials]
    events = [
        {"type": "ObjectEvent", "eventTime": "2026-01-02T09:00:00Z", "eventTimeZoneOffset": "+00:00",
         "epcList": epcs, "action": "ADD", "bizStep": "commissioning", "disposition": "active",
         "bizLocation": {"id": "urn:epc:id:sgln:4012345.00000.0"},
         "ilmd": {"cbvmda:lotNumber": lot, "cbvmda:itemExpirationDate": "2028-06-30"}},
        {"type": "ObjectEvent", "eventTime": "2026-01-03T09:00:00Z", "eventTimeZoneOffset": "+00:00",
         "epcList": epcs, "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
         "bizLocation": {"id": "urn:epc:id:sgln:4012345.00000.0"},
         "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4098765.00000"}]},
    ]
    doc = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"cbvmda": "urn:epcglobal:cbv:mda:"}],
           "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
           "epcisBody": {"eventList": events}}
    with open(f"{out}/{d // per:05}.jsonld", "w") as f:
        json.dump(doc, f)
    for s in random.sample(serials, min(len(serials), max(1, 100_000 * len(serials) // n))):
        sample.append(f"/verify/gtin/04012345111118/lot/{lot}/ser/{s}?exp=280630&reqGLN=4098765000003&context=dscsaSaleableReturn")
random.shuffle(sample)
with open(f"{out}/paths.txt", "w") as f:
    f.write("\n".join(sample) + "\n")
PY
fi
data="$work/data-$n"
[ -f "$data/journal.shj" ] || /usr/bin/time -f "import: %e s, peak %M KB" "$bin" import --data "$data" "$docs" | grep -E "^(events|epcs|time)" || true
key=$("$bin" keys create --data "$data" --name bench --role verify --party 4098765000003 | tail -1)
cat > "$work/bench.toml" <<TOML
[limits]
requests_per_second = 0
[verify]
responder_gln = "4012345000009"
[verify.limits]
client_per_minute = 0
TOML
start=$(date +%s.%N)
# The real clock from here on: the guard's buckets refill with time.
unset SERIALHUB_NOW
"$bin" serve --data "$data" --config "$work/bench.toml" --listen 127.0.0.1:0 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
addr=""
for _ in $(seq 3000); do
  addr=$(grep -o '"msg":"listening","addr":"[^"]*"' "$work/server.log" | sed 's/.*"addr":"//; s/"$//' || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
test -n "$addr"
echo "open and listen: $(echo "$(date +%s.%N) - $start" | bc) s, RSS $(ps -o rss= -p $server) KB"
# wrk paces each connection: `delay` ms between its requests; connections * 1000 / delay ~ rate.
conns=20
delay=$(python3 -c "print(max(0, $conns * 1000 / $rate - 0.1))")
cat > "$work/paced.lua" <<LUA
local paths = {}
local n = 0
init = function(args)
  -- A seed per run: rounds must not replay the same serials (the per-serial limit would see
  -- one pack asked for over and over, which no real traffic does).
  math.randomseed(os.time())
  if args[1] then
    for line in io.lines(args[1]) do n = n + 1; paths[n] = line end
  end
end
delay = function() return $delay end
request = function()
  if n == 0 then return wrk.format("GET", wrk.path) end
  return wrk.format("GET", paths[math.random(n)], {["Authorization"] = "Bearer $key"})
end
LUA
# The same requests for serials that do not exist, and for known serials with a wrong lot:
# an answer's time must not tell them apart.
sed 's|/ser/S|/ser/U|' "$docs/paths.txt" > "$work/unknown.txt"
sed 's|/lot/L|/lot/X|' "$docs/paths.txt" > "$work/wronglot.txt"
run() { wrk -t1 -c$conns -d15s --latency -s "$work/paced.lua" "$@" | grep -E "Latency|50%|90%|99%|Requests/sec|Non-2xx"; }
for round in 1 2; do
  echo "== round $round: static file (baseline)"
  run "http://$addr/assets/consumer.css"
  echo "== round $round: VRS verification of random known packs"
  run "http://$addr/" -- "$docs/paths.txt"
  echo "== round $round: VRS, unknown serials"
  run "http://$addr/" -- "$work/unknown.txt"
  echo "== round $round: VRS, known serials with a wrong lot"
  run "http://$addr/" -- "$work/wronglot.txt"
done
curl -s -H "Authorization: Bearer $key" "http://$addr$(head -1 "$docs/paths.txt")"; echo
echo "== harvesting: 100,000 random serials from one address (consumer check, default limits)"
python3 - "$addr" <<'PY'
import http.client, random, sys, time
host, port = sys.argv[1].rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port))
random.seed(7)
statuses, answers = {}, {}
t0 = time.time()
for i in range(100_000):
    serial = "".join(random.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(12))
    conn.request("GET", f"/api/consumer/check?code=%2F01%2F04012345111118%2F10%2FL1%2F21%2F{serial}%3F17%3D280630")
    r = conn.getresponse()
    body = r.read()
    statuses[r.status] = statuses.get(r.status, 0) + 1
    if r.status == 200:
        s = body.split(b'"status":"')[1].split(b'"')[0].decode()
        answers[s] = answers.get(s, 0) + 1
elapsed = time.time() - t0
print(f"{elapsed:.1f} s; statuses {statuses}; answers {answers}; limit: burst 20 + 30/min = {20 + int(elapsed / 60 * 30)} at most")
PY
