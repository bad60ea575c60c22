#!/usr/bin/env bash
# One PostgreSQL import, timed with the server's CPU: drops and creates the database `bench`,
# runs `serialhub import --postgres` of DOCS with the binary BIN, then prints the import's own
# line, the client's wall and CPU time, the CPU time of the server backend that served it
# (read from /proc while it runs) and the database size.
# Alternate two builds on the same documents to compare them (see BENCHMARKS.md).
# Usage: bash bench/pg_import.sh BIN DOCS   (needs root, for /proc of the postgres user)
set -euo pipefail
bin=$1
docs=$2
url="host=127.0.0.1 user=postgres dbname=bench"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" 2>/dev/null
tick=$(getconf CLK_TCK)
# The CPU time of the import's backend (utime + stime, clock ticks), read from /proc while it
# runs: the import's own connection is the only client backend on `bench`.
/usr/bin/time -f "client: %e s wall, %U s user, %S s sys" -o /tmp/pg_import.time \
  "$bin" import --postgres "$url" "$docs" >/tmp/pg_import.out 2>&1 &
importer=$!
ticks=0
while kill -0 "$importer" 2>/dev/null; do
  for pid in $(psql -h 127.0.0.1 -U postgres -d postgres -Atc \
      "SELECT pid FROM pg_stat_activity WHERE datname = 'bench' AND backend_type = 'client backend'" 2>/dev/null); do
    now=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    [ "$now" -gt "$ticks" ] && ticks=$now
  done
  sleep 0.5
done
wait "$importer" || { cat /tmp/pg_import.out; exit 1; }
grep -E "^time" /tmp/pg_import.out
cat /tmp/pg_import.time
echo "server backend cpu: $((ticks / tick)) s (to its last reading, every 0.5 s)"
psql -h 127.0.0.1 -U postgres -d bench -Atc "SELECT 'database: ' || pg_size_pretty(pg_database_size('bench'))"
