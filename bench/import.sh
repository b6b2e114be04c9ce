#!/usr/bin/env bash
# Benchmark of `mutualis import decp` against the analyst's baseline, in one run.
#
#   bench/import.sh [RECORDS...]        (default: 100000 1000000)
#   BENCH_BEFORE_BIN=/path/to/older/mutualis bench/import.sh …
#   BENCH_VALID_SIRETS=1 bench/import.sh …   (every SIRET made valid: bench/valid_sirets.py)
#
# With BENCH_BEFORE_BIN, an older build of mutualis (say, of the commit before a refactoring)
# runs the same imports in the same run, its rows marked "(before)", so that a change is
# compared side by side on the same machine at the same moment.
#
# For each size: generates a synthetic DECP 2.0 file with ../shared/bench/gen_decp.py (same
# seed, same file), imports it with the release binary into a fresh SQLite file and a fresh
# PostgreSQL database, and runs `python3 ../shared/bench/baseline.py import` (json.load +
# sqlite3) on the same file. Each run is timed with /usr/bin/time (wall time, peak RSS).
# Prints a Markdown table for BENCHMARKS.md. Needs ../shared (not part of a clone).
set -euo pipefail
cd "$(dirname "$0")/.."

shared=../shared/bench
[ -f "$shared/gen_decp.py" ] || { echo "bench: $shared/gen_decp.py not found (../shared is needed)" >&2; exit 1; }
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
work=${BENCH_DIR:-/tmp/mutualis-bench}
pg_server=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
mkdir -p "$work"

cargo build --release -p mutualis >&2
bin="$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/mutualis"

# Runs a command under /usr/bin/time; prints "seconds peak_rss_kib".
measure() {
  local log="$work/time.log"
  /usr/bin/time -f '%e %M' -o "$log" "$@" > "$work/out.log" 2> "$work/err.log" || {
    echo "bench: command failed: $*" >&2; cat "$work/err.log" >&2; exit 1; }
  cat "$log"
}

echo "| records | file | program | seconds | records/s | MB/s | peak RSS | vs baseline |"
echo "|---:|---:|---|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  file="$work/decp-$n.json"
  [ -s "$file" ] || python3 "$shared/gen_decp.py" --records "$n" --out "$file" >&2
  if [ -n "${BENCH_VALID_SIRETS:-}" ]; then
    valid="$work/decp-$n-valid.json"
    [ -s "$valid" ] || python3 bench/valid_sirets.py "$file" "$valid"
    file=$valid
  fi
  mb=$(python3 -c "import os; print(os.path.getsize('$file') / 1e6)")

  rm -f "$work/baseline.sqlite"
  read -r base_s base_kib < <(measure python3 "$shared/baseline.py" import "$file" "$work/baseline.sqlite")

  # Each build: "label|binary"; the older one first when given.
  builds=()
  [ -n "${BENCH_BEFORE_BIN:-}" ] && builds+=(" (before)|$BENCH_BEFORE_BIN")
  builds+=("|$bin")
  results=()
  for build in "${builds[@]}"; do
    label=${build%%|*}; program=${build#*|}
    rm -f "$work/mutualis.db" "$work/mutualis.db-wal" "$work/mutualis.db-shm"
    read -r sqlite_s sqlite_kib < <(measure "$program" import decp "$file" --database-url "sqlite://$work/mutualis.db")
    grep -q " $n lus" "$work/out.log" || { echo "bench: unexpected summary: $(cat "$work/out.log")" >&2; exit 1; }
    # The same file again into the same database: the daily refresh, every record unchanged.
    read -r again_s again_kib < <(measure "$program" import decp "$file" --database-url "sqlite://$work/mutualis.db")

    db="mutualis_bench_$$"
    psql "$pg_server" -qc "CREATE DATABASE $db" >/dev/null
    read -r pg_s pg_kib < <(measure "$program" import decp "$file" --database-url "${pg_server%/*}/$db")
    psql "$pg_server" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
    results+=("mutualis$label import decp → SQLite|$sqlite_s|$sqlite_kib"
              "mutualis$label import decp again, unchanged → SQLite|$again_s|$again_kib"
              "mutualis$label import decp → PostgreSQL|$pg_s|$pg_kib")
  done

  row() { # program seconds kib
    python3 - "$n" "$mb" "$1" "$2" "$3" "$base_s" <<'PY'
import sys
n, mb, prog, s, kib, base = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
s = max(s, 0.01)
ratio = "1×" if prog.startswith("baseline") else f"{base / s:.1f}× faster"
print(f"| {n:,} | {mb:,.0f} MB | {prog} | {s:.2f} | {n / s:,.0f} | {mb / s:,.1f} | {kib / 1024:,.0f} MB | {ratio} |")
PY
  }
  row "baseline.py import (json + sqlite3)" "$base_s" "$base_kib"
  for r in "${results[@]}"; do
    IFS='|' read -r name s kib <<< "$r"
    row "$name" "$s" "$kib"
  done
done
