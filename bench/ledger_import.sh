#!/usr/bin/env bash
# The serial ledger, end to end: simulate PACKS packs, then import them into the embedded store
# (durable: every document is synced before it counts) and, with POSTGRES=URL, into
# PostgreSQL; beside them in the same run, the floors: reading and validating the same documents
# (`epcis validate`) and writing the journal's bytes with one fdatasync (`dd`). Then state
# lookups and pedigree latency on the filled store (crates/embedded/examples/queries.rs).
# Usage: bash bench/ledger_import.sh [PACKS]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
packs=${1:-1000000}
work=${WORK:-$(mktemp -d)}
cargo build --release --quiet -p serialhub
cargo build --release --quiet -p serialhub-embedded --example queries
bin=${CARGO_TARGET_DIR:-target}/release/serialhub
export SERIALHUB_NOW=2026-11-24T00:00:00Z
rm -rf "$work/sim" "$work/data"

echo "== simulate $packs packs (faults at 0.1%)"
/usr/bin/time -f "simulate: %e s, peak %M KB" "$bin" simulate --seed 1 --packs "$packs" --faults 0.001 --out "$work/sim"
du -sh "$work/sim"

echo "== floor: read and validate the same documents"
/usr/bin/time -f "validate: %e s, peak %M KB" "$bin" epcis validate "$work"/sim/*.jsonld | tail -1

echo "== import into the embedded store"
/usr/bin/time -f "import: %e s wall, %U s user, %S s sys, peak %M KB" "$bin" import --data "$work/data" "$work/sim"
bytes=$(stat -c %s "$work/data/journal.shj")
echo "journal: $bytes bytes"

echo "== floor: write the journal's bytes once, one fdatasync"
/usr/bin/time -f "dd: %e s" dd if=/dev/zero of="$work/dd" bs=1M count=$((bytes / 1048576 + 1)) conv=fdatasync status=none
rm -f "$work/dd"

echo "== queries"
/usr/bin/time -f "queries: peak %M KB" "${CARGO_TARGET_DIR:-target}/release/examples/queries" "$work/data" "$work/sim"

if [ -n "${POSTGRES:-}" ]; then
  echo "== import into PostgreSQL ($POSTGRES)"
  /usr/bin/time -f "import --postgres: %e s wall, %U s user, peak %M KB" "$bin" import --postgres "$POSTGRES" "$work/sim"
fi
[ -n "${WORK:-}" ] || rm -rf "$work"
