#!/usr/bin/env bash
# Every benchmark BENCHMARKS.md quotes, in one run: in-process parsers and formatters (divan),
# then the whole command against biip. Usage: bash bench/run_all.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== in-process (cargo bench -p serialhub-gs1 --bench gs1)"
cargo bench --quiet -p serialhub-gs1 --bench gs1 2>&1 | grep -v '^$'
echo
echo "== whole command"
bash bench/gs1_parse_vs_biip.sh "${1:-1000000}"
