#!/usr/bin/env bash
# Every benchmark BENCHMARKS.md quotes, in one run: in-process parsers and formatters (divan),
# then the whole commands against their Python peers.
# Usage: bash bench/run_all.sh [GS1_CODES] [EPCIS_EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== in-process (cargo bench -p serialhub-gs1 --bench gs1)"
cargo bench --quiet -p serialhub-gs1 --bench gs1 2>&1 | grep -v '^$'
echo
echo "== in-process (cargo bench -p serialhub-epcis --bench epcis)"
cargo bench --quiet -p serialhub-epcis --bench epcis 2>&1 | grep -v '^$'
echo
echo "== gs1 parse against biip"
bash bench/gs1_parse_vs_biip.sh "${1:-1000000}"
echo
echo "== epcis hash against the reference generator"
BIG=1 bash bench/epcis_hash_vs_reference.sh "${2:-100000}"
