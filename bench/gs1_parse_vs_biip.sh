#!/usr/bin/env bash
# Side by side: `serialhub gs1 parse` and biip on the same generated scan strings, in one run.
# Usage: bash bench/gs1_parse_vs_biip.sh [N]   (default N = 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -c 'import biip' 2>/dev/null || pip install --quiet biip
cargo build --quiet --release -p serialhub
python3 bench/gen_scans.py "$n" 1 > "$work/scans.txt"
echo "input: $n scan strings, $(du -h "$work/scans.txt" | cut -f1)"

# Timed to /dev/null, as biip's timing includes no output either; a second run counts results.
start=$(date +%s.%N)
./target/release/serialhub gs1 parse < "$work/scans.txt" > /dev/null
end=$(date +%s.%N)
sh_rate=$(python3 -c "print(round($n / ($end - $start)))")
parsed=$(./target/release/serialhub gs1 parse < "$work/scans.txt" | grep -c '"ok":true')
echo "serialhub: $n codes, $parsed parsed, $(python3 -c "print(round($end - $start, 2))") s, $sh_rate codes/s (JSON lines with ais, hri, digital_link, epc)"

# biip in-process is far slower; a 100,000-line sample gives a stable rate.
biip_n=$(( n < 100000 ? n : 100000 ))
biip_line=$(python3 bench/biip_parse.py "$work/scans.txt" "$biip_n")
echo "$biip_line"
biip_rate=$(echo "$biip_line" | sed -E 's/.* ([0-9,]+) codes\/s/\1/' | tr -d ,)
echo "ratio (serialhub / biip in one process): $(python3 -c "print(round($sh_rate / $biip_rate))")x"

# A tool that calls a parser per code pays its start-up each time.
per_call=50
start=$(date +%s.%N)
head -n "$per_call" "$work/scans.txt" | while IFS= read -r code; do python3 -c 'import sys, biip; biip.parse(sys.argv[1])' "$code"; done
end=$(date +%s.%N)
biip_cli_rate=$(python3 -c "print($per_call / ($end - $start))")
echo "biip one process per code: $(python3 -c "print(round($biip_cli_rate, 1))") codes/s; ratio $(python3 -c "print(round($sh_rate / $biip_cli_rate))")x"

/usr/bin/time -f "serialhub peak RSS on $n lines: %M KiB" ./target/release/serialhub gs1 parse < "$work/scans.txt" > /dev/null
