#!/usr/bin/env bash
# A live catalog swap under storefront load (performance.md: "snapshot swap under c=16 load:
# zero failed requests; p99 during the swap ≤ 2× steady"), on the data eu.sh left behind
# (run eu.sh first): fitmentd serves PROFILE's revision-0 snapshot with a copy of eu.sh's
# tenant data, and an operator swaps in next week's catalog (gen --revision 1) through
# POST /api/admin/snapshot, rolls it back, and swaps it in again.
#
#   (a) steady: the warm YMM cascade mix (eu.sh's), wrk -t2 -c16 --latency, WRK_DURATION;
#   (b) the same run with the swap to revision 1 POSTed SWAP_AFTER seconds in (call timed);
#   (c) the same run with POST /api/admin/snapshot/rollback SWAP_AFTER seconds in;
#   (d) the swap to revision 1 again, idle, and the GET /api/admin/snapshot answer.
#
# Every run counts the answers other than 200/304 and the socket errors (rotate.lua), and
# samples fitmentd's VmRSS every 100 ms; X-Catalog-Version is checked to follow each swap.
# Revision 1 ($DIR/$PROFILE-seed1-r1/ and .snap) is generated and built if missing. Prints a
# Markdown block for RESULTS.md (also in $DIR/$PROFILE-swap-results.md); raw outputs in
# $DIR/$PROFILE-swap-run/.
#
#   benchmarks/swap-http.sh                           # eu, FITMENT_BENCH_DIR=var/bench
#   PROFILE=small WRK_DURATION=10s benchmarks/swap-http.sh
#
# Environment: FITMENT_BENCH_DIR, PORT (18080), WRK_DURATION (30s), SWAP_AFTER (5, seconds),
# PATHS_TENANTS (200), PATHS_WALKS (5 on eu, 20 on smaller profiles), COUNT=errors (see
# rotate.lua), FITMENT_ADMIN_TOKEN (default: the data directory's admin-token file).
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-eu}
DIR=$(realpath -m "${FITMENT_BENCH_DIR:-$PWD/var/bench}")
SRC=$DIR/$PROFILE-seed1
SNAP=$SRC.snap
SRC1=$DIR/$PROFILE-seed1-r1
SNAP1=$SRC1.snap
DATA_SRC=$DIR/$PROFILE-data
RUN=$DIR/$PROFILE-swap-run
DATA=$RUN/data
OUT=$DIR/$PROFILE-swap-results.md
PORT=${PORT:-18080}
WRK_DURATION=${WRK_DURATION:-30s}
SWAP_AFTER=${SWAP_AFTER:-5}
PATHS_TENANTS=${PATHS_TENANTS:-200}
if [ "$PROFILE" = eu ]; then PATHS_WALKS=${PATHS_WALKS:-5}; else PATHS_WALKS=${PATHS_WALKS:-20}; fi
BASE=http://127.0.0.1:$PORT
source benchmarks/lib.sh

need /usr/bin/time time
need wrk wrk
need curl curl
need bc bc
need python3 python3
port_free
[ -f "$SNAP" ] || { echo "swap-http.sh: no $SNAP (run PROFILE=$PROFILE benchmarks/eu.sh first)" >&2; exit 1; }
[ -f "$DATA_SRC/demo-keys.txt" ] || { echo "swap-http.sh: no $DATA_SRC/demo-keys.txt (run PROFILE=$PROFILE benchmarks/eu.sh first)" >&2; exit 1; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
rm -rf "$RUN"
mkdir -p "$RUN"
make -s build
go build -o "$DIR/bin/" ./benchmarks/tools/paths
PATHS_TOOL=$DIR/bin/paths

sampler=""
wrkpid=""
cleanup() {
  if [ -n "$wrkpid" ]; then kill -TERM "$wrkpid" 2>/dev/null || true; wait "$wrkpid" 2>/dev/null || true; fi
  if [ -n "$sampler" ]; then kill -TERM "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; fi
  stop_server
}
trap cleanup EXIT

# The swaps must not touch eu.sh's data: fitmentd runs on a copy (a few hundred MB on eu).
data_mib=$(du -sm "$DATA_SRC" | cut -f1)
cp -a --reflink=auto "$DATA_SRC" "$DATA"
rm -f "$DATA/LOCK"

# jf FILE KEY.KEY…: a field of a JSON file ("" when missing; objects as compact JSON).
jf() {
  python3 - "$1" "$2" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    d = None
for k in sys.argv[2].split('.'):
    d = d.get(k) if isinstance(d, dict) else None
print('' if d is None else d if isinstance(d, str) else json.dumps(d, separators=(',', ':')))
PY
}
# admin NAME METHOD PATH [JSON]: an admin call; the answer in $RUN/NAME.json, its status in
# code, its wall time (seconds) in secs.
admin() {
  local name=$1 method=$2 path=$3 body=${4:-}
  local args=(-s --max-time 900 -o "$RUN/$name.json" -w '%{http_code} %{time_total}\n' -X "$method" -H "Authorization: Bearer $TOKEN")
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data "$body"); fi
  code=000 secs=0
  read -r code secs < <(curl "${args[@]}" "$BASE$path" || true) || true
  touch "$RUN/$name.json"
}
# expect NAME STATUS: exit unless the last admin call answered STATUS.
expect() {
  if [ "$code" != "$2" ]; then
    echo "swap-http.sh: $1: status $code, want $2: $(head -c 2000 "$RUN/$1.json")" >&2
    exit 1
  fi
}
ms() { printf '%.0f' "$(echo "$1 * 1000" | bc -l)"; }
# version_header: X-Catalog-Version of a storefront answer (the first cascade path).
version_header() {
  curl -s -o /dev/null -D - -H "X-API-Key: $KEY1" -H 'Accept-Encoding: gzip' "$BASE$PATH1" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "x-catalog-version" {print $2}'
}
# sample_rss FILE: fitmentd's VmRSS (KiB) every 100 ms, until killed.
sample_rss() {
  while kill -0 "$pid" 2>/dev/null; do
    awk '$1 == "VmRSS:" {print $2}' "/proc/$pid/status" 2>/dev/null || true
    sleep 0.1
  done > "$1"
}
peak_rss() { sort -n "$RUN/rss-$1.txt" | tail -1 | awk '{printf "%.0f", $1/1024}'; }
# under NAME CMD…: the cascade mix (c=16, --latency) for WRK_DURATION with CMD run
# SWAP_AFTER seconds in, fitmentd's RSS sampled throughout (rss-NAME.txt).
under() {
  local name=$1
  shift
  sample_rss "$RUN/rss-$name.txt" &
  sampler=$!
  rot "$name" "$P/cascade.paths" 16 --latency &
  wrkpid=$!
  sleep "$SWAP_AFTER"
  "$@"
  wait "$wrkpid"
  wrkpid=""
  kill -TERM "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  sampler=""
}
swap_r1() { admin "$1" POST /api/admin/snapshot "{\"path\": \"$SNAP1\"}"; }
rollback() { admin "$1" POST /api/admin/snapshot/rollback; }

start_server fitmentd.log
ready1=$ready_s
TOKEN=${FITMENT_ADMIN_TOKEN:-$(tr -d ' \n' < "$DATA/admin-token")}
admin state0 GET /api/admin/snapshot
if [ "$code" != 200 ]; then
  echo "swap-http.sh: GET /api/admin/snapshot answered $code: this fitmentd has no snapshot swap" >&2
  exit 1
fi
v0=$(jf "$RUN/state0.json" current.version)

# The contract's refusals, before any swap: nothing to roll back to; a file that is no
# snapshot (its build report).
rollback norollback
norollback="$code $(jf "$RUN/norollback.json" error)"
admin badsnap POST /api/admin/snapshot "{\"path\": \"$SNAP.report.txt\"}"
badsnap="$code $(jf "$RUN/badsnap.json" error)"

P=$RUN/paths
"$PATHS_TOOL" --url "$BASE" --keys "$DATA/demo-keys.txt" --tenants "$PATHS_TENANTS" --per-tenant "$PATHS_WALKS" --seed 1 --out "$P" > "$RUN/paths.txt"
IFS=$'\t' read -r KEY1 PATH1 < "$P/cascade.paths"
h0=$(version_header)

# Next week's catalog, generated and built while the server idles (memory only).
if [ ! -f "$SNAP1" ]; then
  if [ ! -f "$SRC1/fitments.csv" ]; then
    /usr/bin/time -v bin/fitctl gen --profile "$PROFILE" --seed 1 --revision 1 --out "$SRC1" > "$RUN/gen-r1.log" 2> "$RUN/gen-r1.time"
  fi
  /usr/bin/time -v bin/fitctl build --in "$SRC1" --out "$SNAP1" > "$RUN/build-r1.log" 2> "$RUN/build-r1.time" ||
    { cat "$RUN/build-r1.log" "$RUN/build-r1.time" >&2; exit 1; }
fi
# An operator swaps in a file just built: its pages are in the page cache.
cat "$SNAP1" "$SNAP1".text-*/* > /dev/null 2>&1 || true

"$PATHS_TOOL" --url "$BASE" --warm "$P/cascade.paths" --encoding gzip --concurrency 4 > "$RUN/warm-cascade.txt"

# (a) steady state.
under steady true
rss_before=$(rss)

# (b) the swap to revision 1 under load.
under swap swap_r1 swap
expect swap 200
swap_s=$secs
rss_after=$(rss)
hwm_swap=$(rss VmHWM)
v1=$(jf "$RUN/swap.json" version)
h1=$(version_header)

# (c) the rollback under load.
under rollback rollback rollback
expect rollback 200
rollback_s=$secs
h2=$(version_header)

# (d) the swap again, idle, and the state it leaves.
swap_r1 swap2
expect swap2 200
swap2_s=$secs
admin state GET /api/admin/snapshot
expect state 200
h3=$(version_header)
rss_end=$(rss)
hwm_end=$(rss VmHWM)
stop_server
trap - EXIT
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

p99_steady=$(f steady p99_ms)
p99_swap=$(f swap p99_ms)
ratio=$(echo "scale=2; $p99_swap / $p99_steady" | bc -l)
# report NAME: a swap report's timings.
report() {
  echo "total $(jf "$RUN/$1.json" totalMs) ms (open $(jf "$RUN/$1.json" openMs), derive $(jf "$RUN/$1.json" deriveMs), publish pause $(jf "$RUN/$1.json" publishPauseMs) ms; $(jf "$RUN/$1.json" tenants) tenants, orphans $(jf "$RUN/$1.json" orphans))"
}
follows() {
  if [ "$h0" = "$v0" ] && [ "$h1" = "$v1" ] && [ "$h2" = "$v0" ] && [ "$h3" = "$v1" ]; then
    echo "yes ($v0 → $v1 → $v0 → $v1)"
  else
    echo "**no**: want $v0, $v1, $v0, $v1; got ${h0:-none}, ${h1:-none}, ${h2:-none}, ${h3:-none}"
  fi
}
{
  echo "### $(date -u '+%Y-%m-%d %H:%M') UTC — live snapshot swap, profile $PROFILE (\`benchmarks/swap-http.sh\`)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(go version | cut -d' ' -f3); load average at start $load_start, at the end $load_end. Command: \`PROFILE=$PROFILE benchmarks/swap-http.sh\` (wrk -t2 -c16 --latency, $WRK_DURATION per run, the admin call ${SWAP_AFTER} s in). fitmentd on \`$SNAP\` (version $v0) with a copy of \`$DATA_SRC\` ($data_mib MiB), ready in $ready1 s; swapped to \`$SNAP1\` (version $v1). Raw outputs: \`$RUN\`."
  echo
  echo "Request mix: the warm YMM cascade mix of eu.sh ($(wc -l < "$P/cascade.paths" | tr -d ' ') requests of $PATHS_WALKS walks per tenant, one pass first); every answer's status counted."
  echo
  echo "| what | measured | target (performance.md) |"
  echo "|---|---|---|"
  echo "| cascade mix, c=16, steady | $(tl steady) | — |"
  echo "| the same, swap to revision 1 during the run | $(tl swap) | zero failed requests |"
  echo "| p99 during the swap ÷ steady | **${ratio}×** | ≤ 2× |"
  echo "| swap call under load (curl wall) | **$(ms "$swap_s") ms**; $(report swap) | — |"
  echo "| the same, rollback during the run | $(tl rollback) | zero failed requests |"
  echo "| rollback call under load | **$(ms "$rollback_s") ms**; $(report rollback) | — |"
  echo "| second swap to revision 1, idle | $(ms "$swap2_s") ms; $(report swap2) | — |"
  echo "| fitmentd RSS: steady / peak during the swap run (100 ms samples) / after it (two catalogs) / VmHWM then | $rss_before / **$(peak_rss swap)** / $rss_after / $hwm_swap MiB | — |"
  echo "| fitmentd RSS: peak during the rollback run / after the second swap / VmHWM at the end | $(peak_rss rollback) / $rss_end / $hwm_end MiB | — |"
  echo "| rollback with nothing to roll back; a file that is no snapshot | $norollback; $badsnap | 409 no_previous; 422 bad_snapshot |"
  echo "| \`X-Catalog-Version\` follows the swaps | $(follows) | — |"
  echo
  echo "\`GET /api/admin/snapshot\` after the second swap:"
  echo
  echo '```json'
  python3 -m json.tool "$RUN/state.json"
  echo '```'
} | tee "$OUT"
