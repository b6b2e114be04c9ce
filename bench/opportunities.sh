#!/usr/bin/env bash
# Benchmark of `mutualis opportunities` against the analyst's baseline, in one run.
#
#   bench/opportunities.sh [RECORDS...]        (default: 1000000)
#
# For each size, on the file ../shared/bench/gen_decp.py generates (same seed, same file):
#   1. end to end over the file: `python3 ../shared/bench/baseline.py opportunities` (json.load
#      + Polars group_by, top 20) against `mutualis opportunities --decp FILE --top 20` (release
#      build), both timed with /usr/bin/time (wall time, peak RSS);
#   2. the engine alone over the same contracts already in a database: the file is imported
#      into a fresh SQLite file, then `mutualis opportunities --all` logs how long loading the
#      contracts and running the engine took (`RUST_LOG=timings=info`), once with `--top 20`
#      (every node ranked, the best 20 built) and once for the whole report.
# With BENCH_BEFORE_BIN=/path/to/older/mutualis, an older build runs the same commands in the
# same run, its rows marked "(before)", for a change compared side by side.
# Both use --as-of 2026-11-25, the baseline's default. Polars 2.1.0 is installed in a virtual
# environment under the work folder when it is missing. Needs ../shared (not part of a clone).
set -euo pipefail
cd "$(dirname "$0")/.."

shared=../shared/bench
[ -f "$shared/gen_decp.py" ] || { echo "bench: $shared/gen_decp.py not found (../shared is needed)" >&2; exit 1; }
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000000)
work=${BENCH_DIR:-/tmp/mutualis-bench}
as_of=2026-11-25
mkdir -p "$work"

python=python3
if ! python3 -c 'import polars' 2>/dev/null; then
  [ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv" >&2
  "$work/venv/bin/python" -c 'import polars' 2>/dev/null \
    || "$work/venv/bin/pip" install --quiet 'polars==2.1.0' >&2
  python="$work/venv/bin/python"
fi

cargo build --release -p mutualis >&2
bin="$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/mutualis"

measure() { # command…; prints "seconds peak_rss_kib"
  local log="$work/time.log"
  /usr/bin/time -f '%e %M' -o "$log" "$@" > "$work/out.log" 2> "$work/err.log" || {
    echo "bench: command failed: $*" >&2; cat "$work/err.log" >&2; exit 1; }
  cat "$log"
}

# The two figures of the `timings` log line (ANSI colours stripped).
timings() {
  sed 's/\x1b\[[0-9;]*m//g' "$work/err.log" | python3 -c '
import re, sys
text = sys.stdin.read()
read = re.search(r"read_seconds=([0-9.]+)", text).group(1)
engine = re.search(r"engine_seconds=([0-9.]+)", text).group(1)
contracts = re.search(r"contracts=([0-9]+)", text).group(1)
print(contracts, read, engine)'
}

echo "| records | program | seconds | peak RSS | vs baseline |"
echo "|---:|---|---:|---:|---:|"
engine_rows=()
for n in "${sizes[@]}"; do
  file="$work/decp-$n.json"
  [ -s "$file" ] || python3 "$shared/gen_decp.py" --records "$n" --out "$file" >&2

  read -r base_s base_kib < <(measure "$python" "$shared/baseline.py" opportunities "$file" --as-of "$as_of")
  python3 -c "print(f'| {int(\"$n\"):,} | baseline.py opportunities (json + Polars) | {float(\"$base_s\"):.2f} | {int(\"$base_kib\") / 1024:,.0f} MB | 1× |')"

  builds=()
  [ -n "${BENCH_BEFORE_BIN:-}" ] && builds+=(" (before)|$BENCH_BEFORE_BIN")
  builds+=("|$bin")
  for build in "${builds[@]}"; do
    label=${build%%|*}; program=${build#*|}
    read -r ours_s ours_kib < <(RUST_LOG=timings=info measure "$program" opportunities --decp "$file" --as-of "$as_of" --top 20 --format json)
    python3 -c "print(f'| {int(\"$n\"):,} | mutualis$label opportunities --decp | {float(\"$ours_s\"):.2f} | {int(\"$ours_kib\") / 1024:,.0f} MB | {float(\"$base_s\") / max(float(\"$ours_s\"), 0.01):.1f}× faster |')"
  done

  for build in "${builds[@]}"; do
    label=${build%%|*}; program=${build#*|}
    # Each build imports into a database of its own: an older build refuses a schema it does
    # not know.
    db="$work/opportunities-$n${label:+-before}.db"
    if [ ! -s "$db" ]; then
      rm -f "$db" "$db-wal" "$db-shm"
      "$program" import decp "$file" --database-url "sqlite://$db" > /dev/null
    fi
    RUST_LOG=timings=info measure "$program" opportunities --all --as-of "$as_of" --top 20 --format json --database-url "sqlite://$db" > /dev/null
    top=$(timings)
    # The whole report builds every opportunity, each with the thresholds in force at its
    # proposed start: a start past the rules table's last period is refused, named on stderr.
    if RUST_LOG=timings=info /usr/bin/time -f '%e %M' -o "$work/time.log" "$program" opportunities --all --as-of "$as_of" --format json --database-url "sqlite://$db" > "$work/out.log" 2> "$work/err.log"; then
      read -r _ _ whole <<< "$(timings)"
    else
      echo "bench: whole report refused: $(grep -m1 erreur "$work/err.log")" >&2
      whole=nan
    fi
    engine_rows+=("${label:-·}|$top $whole")
  done
done

echo
echo "| build | contracts in the database | loading them (s) | engine alone, --top 20 (s) | engine alone, whole report (s) |"
echo "|---|---:|---:|---:|---:|"
for row in "${engine_rows[@]}"; do
  build=${row%%|*}; [ "$build" = "·" ] && build="this build" || build="before"
  read -r contracts read engine whole <<< "${row#*|}"
  python3 -c "print(f'| $build | {int(\"$contracts\"):,} | {float(\"$read\"):.2f} | {float(\"$engine\"):.3f} | {\"refused\" if \"$whole\" == \"nan\" else format(float(\"$whole\"), \".3f\")} |')"
done
