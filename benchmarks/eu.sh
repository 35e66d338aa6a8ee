#!/usr/bin/env bash
# The benchmark of record: the eu profile (performance.md). Generates the catalog once
# (reused afterwards), then measures build time and peak memory, snapshot size, the demo
# load of every tenant's prices and stock, server cold start and RSS, HTTP reads with wrk
# over realistic request mixes (never one URL: benchmarks/tools/paths walks the tenants'
# cascades, benchmarks/rotate.lua rotates through the paths), warm (answer cache on, every
# path seen before) and cold (cache off: every answer rendered), the write path
# (benchmarks/tools/feedload), and the engine's in-process benchmarks. Prints a Markdown
# block to paste into benchmarks/RESULTS.md; raw outputs stay in $DIR/$PROFILE-run/.
#
#   benchmarks/eu.sh                    # everything (~20 minutes, needs the whole machine)
#   PROFILE=small benchmarks/eu.sh      # the same measurements on another profile (minutes)
#
# Environment: FITMENT_BENCH_DIR (default var/bench; catalogs are reused from there),
# PORT (18080), WRK_DURATION (10s), FEED_DURATION (20s), FEED_ALONE (5s: each of the ten
# tenants feeding alone), PATHS_TENANTS (200),
# PATHS_WALKS (5 on eu, 20 on smaller profiles), ENGINE_BENCH_COUNT (3; 0 skips),
# CACHE_BYTES (fitmentd --cache-bytes for the warm runs; default: the server's default),
# COUNT=errors (rotate.lua: count only statuses >= 400, cheaper; see benchmarks/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-eu}
DIR=${FITMENT_BENCH_DIR:-$PWD/var/bench}
SRC=$DIR/$PROFILE-seed1
SNAP=$SRC.snap
PORT=${PORT:-18080}
OUT=$DIR/$PROFILE-results.md
RUN=$DIR/$PROFILE-run
WRK_DURATION=${WRK_DURATION:-10s}
FEED_DURATION=${FEED_DURATION:-20s}
FEED_ALONE=${FEED_ALONE:-5s}
PATHS_TENANTS=${PATHS_TENANTS:-200}
if [ "$PROFILE" = eu ]; then PATHS_WALKS=${PATHS_WALKS:-5}; else PATHS_WALKS=${PATHS_WALKS:-20}; fi
ENGINE_BENCH_COUNT=${ENGINE_BENCH_COUNT:-3}
CACHE_BYTES=${CACHE_BYTES:-}
BASE=http://127.0.0.1:$PORT
mkdir -p "$DIR"
rm -rf "$RUN"
mkdir -p "$RUN"

need() { command -v "$1" >/dev/null || { echo "eu.sh: $1 is missing (apt-get install $2)" >&2; exit 1; }; }
need /usr/bin/time time
need wrk wrk
need curl curl
need bc bc
if curl -s -o /dev/null --max-time 1 "$BASE/healthz"; then
  echo "eu.sh: something already answers on port $PORT; stop it or set PORT" >&2
  exit 1
fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
make -s build
go build -o "$DIR/bin/" ./benchmarks/tools/paths ./benchmarks/tools/feedload
PATHS_TOOL=$DIR/bin/paths
FEEDLOAD=$DIR/bin/feedload

elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1"; }
peak_mib() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }

# A catalog generated before the generator wrote stores and own parts is regenerated.
if [ -f "$SRC/tenants.json" ] && ! grep -q '"locations"' "$SRC/tenants.json"; then
  echo "eu.sh: $SRC predates stores and own parts in tenants.json: generating it again" >&2
  rm -rf "$SRC"
fi
if [ ! -f "$SRC/fitments.csv" ] && [ ! -f "$SRC/fitments.csv.gz" ] && [ ! -f "$SRC/fitments.csv.zst" ]; then
  /usr/bin/time -v bin/fitctl gen --profile "$PROFILE" --seed 1 --out "$SRC" > "$RUN/gen.log" 2> "$RUN/gen.time"
fi
[ -f "$SRC/tenants.json" ] || { echo "eu.sh: $SRC has no tenants.json (regenerate it: rm -r $SRC)" >&2; exit 1; }
rm -f "$SNAP"
/usr/bin/time -v bin/fitctl build --in "$SRC" --out "$SNAP" > "$RUN/build.log" 2> "$RUN/build.time" ||
  { cat "$RUN/build.log" "$RUN/build.time" >&2; exit 1; }
snap_mib=$(du -m "$SNAP" | cut -f1)
text_mib=$(du -cm "$SNAP".text-* 2>/dev/null | tail -1 | cut -f1)

# Every tenant of the profile with its subscriptions, prices, stock and aliases.
DATA=$DIR/$PROFILE-data
rm -rf "$DATA"
/usr/bin/time -v bin/fitctl demo --catalog "$SRC" --data "$DATA" --snapshot "$SNAP" --url "$BASE" > "$RUN/demo.log" 2> "$RUN/demo.time" ||
  { cat "$RUN/demo.log" "$RUN/demo.time" >&2; exit 1; }
demo_line=$(grep -m1 '^demo:' "$RUN/demo.log" || true)
tenants=$(echo "$demo_line" | sed -n 's/^demo: \([0-9]*\) tenants.*/\1/p')
offers=$(echo "$demo_line" | sed -n 's/.* \([0-9]*\) offers loaded.*/\1/p')
KEYS=$DATA/demo-keys.txt

# The admin token is only for feedload's onerow tenant.
export FITMENT_ADMIN_TOKEN=${FITMENT_ADMIN_TOKEN:-adm_bench_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}
pid=""
feeder=""
stop_server() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
  fi
}
cleanup() {
  if [ -n "$feeder" ]; then kill -TERM "$feeder" 2>/dev/null || true; wait "$feeder" 2>/dev/null || true; fi
  stop_server
}
trap cleanup EXIT
# start_server LOG [fitmentd flags…]: starts fitmentd, waits for /readyz, sets ready_s.
start_server() {
  local log=$1
  shift
  local t0
  t0=$(date +%s.%N)
  bin/fitmentd --snapshot "$SNAP" --data "$DATA" --addr "127.0.0.1:$PORT" --drain 0s "$@" > "$RUN/$log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "$BASE/readyz"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$RUN/$log" >&2
      echo "eu.sh: fitmentd exited before it was ready" >&2
      pid=""
      exit 1
    fi
    sleep 0.05
  done
  ready_s=$(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc)")
}
rss() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status"; }

# rot NAME FILE CONNS [wrk flags…]: wrk with rotate.lua over a paths file.
rot() {
  local name=$1 file=$2 conns=$3
  shift 3
  PATHS=$file wrk -t2 -c"$conns" -d"$WRK_DURATION" "$@" -s benchmarks/rotate.lua "$BASE" > "$RUN/wrk-$name.txt" 2>&1 || true
  grep -q '^ROTATE' "$RUN/wrk-$name.txt" || { cat "$RUN/wrk-$name.txt" >&2; echo "eu.sh: wrk $name printed no summary" >&2; exit 1; }
}
# warmpass NAME FILE: every path once (gzip), so the measured run finds each one kept.
warmpass() { "$PATHS_TOOL" --url "$BASE" --warm "$2" --encoding gzip --concurrency 4 > "$RUN/warm-$1.txt"; }
# f NAME KEY: a field of a wrk run's ROTATE line.
f() { sed -n "s/^ROTATE.* $2=\([^ ]*\).*/\1/p" "$RUN/wrk-$1.txt"; }
# errs NAME: "" when every answer was 200/304 and no socket failed, else a bold warning.
errs() {
  local bad sock
  bad=$(f "$1" non2xx)
  sock=$(f "$1" socket_errors)
  if [ "$bad" != 0 ] || [ "$sock" != 0 ]; then echo "; **$bad non-2xx ($(f "$1" statuses)), $sock socket errors**"; fi
}
commas() { echo "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }
rps() { commas "$(f "$1" rps)"; }
# tp NAME: throughput figure; tl NAME: tail-latency figure.
tp() { echo "**$(rps "$1") req/s** (p50 $(f "$1" p50_ms) ms, p99 $(f "$1" p99_ms) ms)$(errs "$1")"; }
tl() { echo "p99 **$(f "$1" p99_ms) ms** (p50 $(f "$1" p50_ms) ms, $(rps "$1") req/s)$(errs "$1")"; }

# --- Warm: the production configuration (answer cache on). ---
if [ -n "$CACHE_BYTES" ]; then start_server fitmentd.log --cache-bytes "$CACHE_BYTES"; else start_server fitmentd.log; fi
ready1=$ready_s
rss_start=$(rss)

P=$RUN/paths
"$PATHS_TOOL" --url "$BASE" --keys "$KEYS" --tenants "$PATHS_TENANTS" --per-tenant "$PATHS_WALKS" --seed 1 --out "$P" > "$RUN/paths.txt"

warmpass cascade "$P/cascade.paths"
rot cascade16 "$P/cascade.paths" 16
rot cascade64 "$P/cascade.paths" 64 --latency
warmpass parts50 "$P/parts-50.paths"
rot parts50 "$P/parts-50.paths" 16
warmpass partsall "$P/parts-all.paths"
rot partsall "$P/parts-all.paths" 16
warmpass detail "$P/detail.paths"
rot detail "$P/detail.paths" 16
rss_reads=$(rss)

# The cascade mix while a tenant's POS pushes 100,000-row stock feeds back to back.
FEED=("$FEEDLOAD" --url "$BASE" --keys "$KEYS" --catalog "$SRC" --pid "$pid")
"${FEED[@]}" --mode background > "$RUN/feed-background.md" 2> "$RUN/feed-background.log" &
feeder=$!
until grep -q '^background: feeding' "$RUN/feed-background.log" 2>/dev/null; do
  kill -0 "$feeder" 2>/dev/null || { cat "$RUN/feed-background.log" >&2; exit 1; }
  sleep 0.05
done
rot cascade16feeds "$P/cascade.paths" 16
kill -TERM "$feeder"
wait "$feeder" || { cat "$RUN/feed-background.log" >&2; exit 1; }
feeder=""

# The write path alone.
"${FEED[@]}" --mode single > "$RUN/feed-single.md" 2> "$RUN/feed-single.log"
"${FEED[@]}" --mode sustained --duration "$FEED_DURATION" > "$RUN/feed-sustained.md" 2> "$RUN/feed-sustained.log"
"${FEED[@]}" --mode ten --duration "$FEED_DURATION" --alone "$FEED_ALONE" > "$RUN/feed-ten.md" 2> "$RUN/feed-ten.log"
"${FEED[@]}" --mode onerow --duration "$FEED_DURATION" > "$RUN/feed-onerow.md" 2> "$RUN/feed-onerow.log"
rss_all=$(rss)

# The stock locator: a manufacturer with 20,000 dealers, half its own stores and half shops
# of 1,000 resellers sharing with it (built through the API), and parts held by 1 %, 10 %
# and 50 % of them; then 100,000-row location-stock feeds.
"${FEED[@]}" --mode locator --out "$RUN/locator" > "$RUN/feed-locator.md" 2> "$RUN/feed-locator.log" ||
  { cat "$RUN/feed-locator.log" >&2; exit 1; }
for share in 1 10 50; do rot "nearby$share" "$RUN/locator/nearby-$share.paths" 16 --latency; done
rss_locator=$(rss)
stop_server

# --- Cold: the answer cache off, so every answer is rendered. ---
start_server fitmentd-cold.log --cache-bytes -1
ready2=$ready_s
rot parts50cold "$P/parts-50.paths" 16
rot partsallcold "$P/parts-all.paths" 16
rot cascade16cold "$P/cascade.paths" 16
rot cascade64cold "$P/cascade.paths" 64 --latency
stop_server
trap - EXIT

# In-process engine benchmarks on the same snapshot.
if [ "$ENGINE_BENCH_COUNT" -gt 0 ]; then
  FITMENT_BENCH_PROFILE=$PROFILE FITMENT_BENCH_DIR=$DIR \
    go test ./engine -run '^$' -bench . -benchmem -count "$ENGINE_BENCH_COUNT" -timeout 60m > "$RUN/engine-bench.txt"
  # The text index alone (search shapes, each with its first page), on the snapshot's index.
  FITMENT_INDEX_SNAPSHOT=$SNAP go test ./index -run '^$' -bench . -benchmem -count 1 -timeout 30m > "$RUN/index-bench.txt"
fi

npaths() { wc -l < "$P/$1" | tr -d ' '; }
walked=$(sed -n 's/.* \([0-9]*\) walked.*/\1/p' "$RUN/paths.txt")
# The answer cache weighs an entry at 1.5× its identity body: does the warm parts-all set fit?
lists_mb=$(sed -n 's/.*all lists together \([0-9.]*\) MB.*/\1/p' "$RUN/paths.txt")
default_cache=$(bin/fitmentd -h 2>&1 | awk '/-cache-bytes/ {on=1} on && /default/ {sub(/.*default /, ""); sub(/\).*/, ""); print; exit}')
cache_bytes=${CACHE_BYTES:-${default_cache:-268435456}}
cache_note=""
if [ -n "$lists_mb" ] && [ "$(echo "$lists_mb * 1.5 * 1000000 > $cache_bytes" | bc)" = 1 ]; then
  cache_note=" **The whole lists (${lists_mb} MB of JSON, weighing ~1.5× that in the cache) do not fit in the answer cache ($((cache_bytes >> 20)) MiB): the warm parts-all figure includes misses** (set CACHE_BYTES to compare)."
fi
bg_rate=$(sed -n 's/^| [^|]* | \([0-9,]* rows\/s\).*/\1/p' "$RUN/feed-background.md")
{
  echo "### $(date -u +%Y-%m-%d) — profile $PROFILE"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(go version | cut -d' ' -f3); load average at start $load_start. Command: \`PROFILE=$PROFILE benchmarks/eu.sh\` (wrk -t2, $WRK_DURATION per run; feeds $FEED_DURATION). Raw outputs: \`$RUN\`."
  echo
  echo '```'
  grep -E '^(makes|fitment rows|rejected|wrote)' "$RUN/build.time" "$RUN/build.log" -h || true
  echo "$demo_line"
  grep -m1 '^also loaded:' "$RUN/demo.log" || true
  cat "$RUN/paths.txt"
  echo '```'
  echo
  echo "Request mixes (benchmarks/tools/paths, seed 1): $(npaths cascade.paths) cascade requests from $PATHS_WALKS walks of each of $walked tenants (years, makes, models, vehicles alike), $(npaths parts-all.paths) vehicles' part lists, $(npaths detail.paths) part details; \`Accept-Encoding: gzip\`; every answer's status counted (benchmarks/rotate.lua). Warm = answer cache on ($((cache_bytes >> 20)) MiB), one pass over every path first; cold = \`--cache-bytes -1\`, every answer rendered.$cache_note"
  echo
  echo "| what | measured | target (performance.md) |"
  echo "|---|---|---|"
  echo "| offline build, CSV → snapshot | $(elapsed "$RUN/build.time") wall, peak $(peak_mib "$RUN/build.time") MiB | ≤ 3 min, ≤ 8 GiB |"
  echo "| snapshot size; its text index beside it | $snap_mib MiB; ${text_mib:-0} MiB | — |"
  echo "| \`fitctl demo\`: create $tenants tenants, load $(commas "${offers:-?}") offers (in-process, journalled) | $(elapsed "$RUN/demo.time") wall, peak $(peak_mib "$RUN/demo.time") MiB | — |"
  echo "| cold start, snapshot → \`/readyz\` 200, every tenant with its prices and stock | ${ready1} s | ≤ 10 s |"
  echo "| \`fitmentd\` RSS after start / after the read runs / after the feeds / after the locator network | $rss_start / $rss_reads / $rss_all / $rss_locator MiB | ≤ 4 GiB |"
  echo "| YMM cascade mix, warm, c=16 | $(tp cascade16) | ≥ 40,000 req/s |"
  echo "| YMM cascade mix, warm, c=64 | $(tl cascade64) | p99 ≤ 5 ms |"
  echo "| YMM cascade mix, cold (cache off), c=16 | $(tp cascade16cold) | ≥ 40,000 req/s |"
  echo "| YMM cascade mix, cold (cache off), c=64 | $(tl cascade64cold) | p99 ≤ 5 ms |"
  echo "| page of 50 parts (\`parts?vehicleId&limit=50\`), gzip, warm, c=16 | $(tp parts50) | — |"
  echo "| page of 50 parts, gzip, cold, c=16 | $(tp parts50cold) | ≥ 30,000 req/s |"
  echo "| whole parts list (\`parts?vehicleId\`), gzip, warm, c=16 | $(tp partsall) | ≥ 8,000 req/s |"
  echo "| whole parts list, gzip, cold, c=16 | $(tp partsallcold) | ≥ 4,000 req/s |"
  echo "| part detail (\`parts/:partNumber\`), gzip, warm, c=16 | $(tp detail) | — |"
  echo "| YMM cascade mix, warm, c=16, while 100,000-row stock feeds run back to back | $(tp cascade16feeds); feeds meanwhile ${bg_rate:-?} | — |"
  cat "$RUN/feed-single.md" "$RUN/feed-sustained.md" "$RUN/feed-ten.md" "$RUN/feed-onerow.md" "$RUN/feed-locator.md"
  for share in 1 10 50; do
    echo "| \`dealers/stock\` (nearest 10), part held by $share % of the 20,000 dealers, c=16 | $(tp "nearby$share") | — |"
  done
  echo "| second start after the feeds (cache off), → \`/readyz\` 200 | ${ready2} s | ≤ 10 s |"
  echo
  echo "No PostgreSQL peer yet, so no ratios. Details of the feed runs (per run, per tenant): \`$RUN/feed-*.log\`."
  if [ -f "$RUN/engine-bench.txt" ]; then
    echo
    echo '```'
    grep -E '^Benchmark' "$RUN/engine-bench.txt" "$RUN/index-bench.txt" 2>/dev/null
    echo '```'
  fi
} | tee "$OUT"
