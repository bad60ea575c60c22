#!/usr/bin/env bash
# Side by side: `serialhub epcis hash` against the reference Python generator
# (`epcis-event-hash-generator` from PyPI) on the same generated document, in the same run.
# Also times validate and convert, and the 1 GB bounded-memory run when BIG=1.
#
# usage: bench/epcis_hash_vs_reference.sh [EVENTS]   (default 100000, about 112 MB of JSON-LD)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-100000}
dir=${TMPDIR:-/tmp}/serialhub-epcis-bench
mkdir -p "$dir"
python3 -m pip install --quiet --disable-pip-version-check 'epcis-event-hash-generator==1.9.3' >/dev/null 2>&1 \
  || echo "note: could not install epcis-event-hash-generator; the reference run will fail" >&2
cargo build --release -p serialhub --quiet
bin=${CARGO_TARGET_DIR:-target}/release/serialhub

doc="$dir/doc-$events.jsonld"
xml="$dir/doc-$events.xml"
[ -s "$doc" ] || python3 bench/gen_epcis.py --events "$events" > "$doc"
[ -s "$xml" ] || "$bin" epcis convert --to xml "$doc" > "$xml"
size=$(stat -c %s "$doc")
echo "document: $events ObjectEvents of 10 EPCs, $size bytes JSON-LD, $(stat -c %s "$xml") bytes XML"

t() { /usr/bin/time -f "%e %M" "$@" 2>"$dir/time" >"$dir/out"; cat "$dir/time" | tail -1; }

read -r ours_s ours_kb < <(t "$bin" epcis hash "$doc")
cp "$dir/out" "$dir/ours.hashes"
read -r xml_s xml_kb < <(t "$bin" epcis hash "$xml")
cmp -s "$dir/out" "$dir/ours.hashes" || { echo "XML and JSON-LD hashes differ" >&2; exit 1; }
read -r val_s _ < <(t "$bin" epcis validate "$doc")
read -r conv_s _ < <(t "$bin" epcis convert --to xml "$doc")
read -r ref_s ref_kb < <(t python3 -m epcis_event_hash_generator -l ERROR "$doc")
grep '^ni:' "$dir/out" > "$dir/ref.hashes"
if cmp -s "$dir/ref.hashes" "$dir/ours.hashes"; then same=identical; else same=DIFFERENT; fi

awk -v n="$events" -v size="$size" -v o="$ours_s" -v x="$xml_s" -v v="$val_s" -v c="$conv_s" -v r="$ref_s" \
    -v okb="$ours_kb" -v rkb="$ref_kb" -v same="$same" 'BEGIN {
  printf "serialhub epcis hash (JSON-LD)   %7.2f s  %9.0f events/s  %6.1f MB/s  peak %d KiB\n", o, n/o, size/o/1e6, okb
  printf "serialhub epcis hash (XML twin)  %7.2f s  %9.0f events/s\n", x, n/x
  printf "serialhub epcis validate         %7.2f s  %9.0f events/s\n", v, n/v
  printf "serialhub epcis convert --to xml %7.2f s  %9.0f events/s\n", c, n/c
  printf "reference (Python, PyPI 1.9.3)   %7.2f s  %9.0f events/s  peak %d KiB\n", r, n/r, rkb
  printf "ratio: serialhub is %.0fx the reference; hashes %s\n", r/o, same
}'

if [ "${BIG:-0}" = 1 ]; then
  big="$dir/doc-1000000.jsonld"
  [ -s "$big" ] || python3 bench/gen_epcis.py --events 1000000 > "$big"
  read -r big_s big_kb < <(t "$bin" epcis hash "$big")
  echo "1,000,000 events ($(stat -c %s "$big") bytes): hash in $big_s s, peak RSS $big_kb KiB"
fi
