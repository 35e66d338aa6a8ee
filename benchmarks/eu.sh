#!/usr/bin/env bash
# The benchmark of record: the eu profile (performance.md). Generates the catalog once
# (reused afterwards), then measures build time and peak memory, snapshot size, server cold
# start and RSS with every demo tenant, the engine's in-process cascade latencies, and the
# cascade over HTTP with wrk. Prints a Markdown block to paste into benchmarks/RESULTS.md.
#
#   benchmarks/eu.sh                    # everything
#   PROFILE=small benchmarks/eu.sh      # the same measurements on another profile
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-eu}
DIR=${FITMENT_BENCH_DIR:-$PWD/var/bench}
SRC=$DIR/$PROFILE-seed1
SNAP=$SRC.snap
PORT=${PORT:-18080}
OUT=$DIR/$PROFILE-results.md
mkdir -p "$DIR"

need() { command -v "$1" >/dev/null || { echo "eu.sh: $1 is missing (apt-get install $2)" >&2; exit 1; }; }
need /usr/bin/time time
need wrk wrk
make -s build

elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1"; }
peak_mib() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }

if [ ! -f "$SRC/fitments.csv" ]; then
  /usr/bin/time -v bin/fitctl gen --profile "$PROFILE" --seed 1 --out "$SRC" 2> "$DIR/gen.time"
fi
rm -f "$SNAP"
/usr/bin/time -v bin/fitctl build --in "$SRC" --out "$SNAP" > "$DIR/build.log" 2> "$DIR/build.time" ||
  { cat "$DIR/build.log" "$DIR/build.time" >&2; exit 1; }
snap_mib=$(du -m "$SNAP" | cut -f1)

# Server cold start with every tenant of the profile.
DATA=$DIR/$PROFILE-data
rm -rf "$DATA"
bin/fitctl demo --catalog "$SRC" --data "$DATA" > "$DIR/demo.log"
key=$(awk '/publishable/ {print $4; exit}' "$DIR/demo.log")
t0=$(date +%s.%N)
bin/fitmentd --snapshot "$SNAP" --data "$DATA" --addr 127.0.0.1:$PORT > "$DIR/fitmentd.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null http://127.0.0.1:$PORT/readyz; do sleep 0.05; done
ready_s=$(echo "$(date +%s.%N) - $t0" | bc)
rss_mib=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$pid/status)

# HTTP: throughput at c=16, tail latency at c=64, on makes for a year the tenant has.
year=$(curl -s -H "X-API-Key: $key" http://127.0.0.1:$PORT/api/t/years | tr -d '[]' | cut -d, -f3)
url="http://127.0.0.1:$PORT/api/t/makes?year=$year"
wrk -t2 -c16 -d10s -H "X-API-Key: $key" "$url" > "$DIR/wrk16.txt"
wrk -t2 -c64 -d10s --latency -H "X-API-Key: $key" "$url" > "$DIR/wrk64.txt"
rps16=$(awk '/Requests\/sec/ {print $2}' "$DIR/wrk16.txt")
p99_64=$(awk '/ 99%/ {print $2}' "$DIR/wrk64.txt")
rss_after=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$pid/status)
kill $pid; wait $pid 2>/dev/null || true
trap - EXIT

# In-process engine benchmarks on the same snapshot.
FITMENT_BENCH_PROFILE=$PROFILE FITMENT_BENCH_DIR=$DIR \
  go test ./engine -run '^$' -bench . -benchmem -count 3 -timeout 60m > "$DIR/engine-bench.txt"

{
  echo "### $(date -u +%Y-%m-%d) — profile $PROFILE"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(go version | cut -d' ' -f3). Command: \`benchmarks/eu.sh\` (PROFILE=$PROFILE)."
  echo
  echo '```'
  grep -E '^(makes|fitment rows|rejected|wrote)' "$DIR/build.time" "$DIR/build.log" -h || true
  echo '```'
  echo
  echo "| what | measured |"
  echo "|---|---|"
  echo "| offline build, CSV → snapshot | $(elapsed "$DIR/build.time") wall, peak $(peak_mib "$DIR/build.time") MiB |"
  echo "| snapshot size | $snap_mib MiB |"
  echo "| cold start, snapshot → ready (fitmentd, all tenants) | ${ready_s} s |"
  echo "| fitmentd RSS after start / after HTTP load | $rss_mib / $rss_after MiB |"
  echo "| makes?year over HTTP, c=16 | $rps16 req/s |"
  echo "| makes?year over HTTP, c=64, p99 | $p99_64 |"
  echo
  echo '```'
  grep -E '^Benchmark' "$DIR/engine-bench.txt"
  echo '```'
} | tee "$OUT"
