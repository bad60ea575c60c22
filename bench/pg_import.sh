#!/usr/bin/env bash
# One PostgreSQL import, timed with the server's CPU: drops and creates the database `bench`,
# runs `serialhub import --postgres` of DOCS with the binary BIN, then prints the import's own
# line, the client's wall and CPU time, the CPU time the server's processes used meanwhile
# (read from /proc: the backend's goes to the postmaster when it exits) and the database size.
# Alternate two builds on the same documents to compare them (see BENCHMARKS.md).
# Usage: bash bench/pg_import.sh BIN DOCS   (needs root, for /proc of the postgres user)
set -euo pipefail
bin=$1
docs=$2
url="host=127.0.0.1 user=postgres dbname=bench"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" 2>/dev/null
tick=$(getconf CLK_TCK)
# utime, stime, cutime, cstime of every process of the postgres user, in clock ticks.
server_cpu() {
  local total=0 ticks
  for pid in $(pgrep -u postgres); do
    ticks=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + ticks))
  done
  echo "$total"
}
before=$(server_cpu)
/usr/bin/time -f "client: %e s wall, %U s user, %S s sys" "$bin" import --postgres "$url" "$docs" 2>&1 | grep -E "^time|^client"
after=$(server_cpu)
echo "server cpu: $(((after - before) / tick)) s"
psql -h 127.0.0.1 -U postgres -d bench -Atc "SELECT 'database: ' || pg_size_pretty(pg_database_size('bench'))"
