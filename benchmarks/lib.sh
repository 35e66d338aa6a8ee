# benchmarks/lib.sh: helpers for the benchmark scripts, sourced (not run) after the script
# has set BASE (http://127.0.0.1:$PORT), PORT, RUN (its raw-output directory), SNAP and DATA.
# They keep eu.sh's conventions: wrk with rotate.lua, whose last line (ROTATE …) the f, errs,
# tp and tl helpers read; /usr/bin/time -v outputs read by elapsed and peak_mib.
#
#   source benchmarks/lib.sh
#   need wrk wrk; port_free
#   start_server fitmentd.log [fitmentd flags…]   # sets pid, ready_s; stop_server on exit
#   rot NAME FILE CONNS [wrk flags…]              # $RUN/wrk-NAME.txt

# need CMD PACKAGE: exit unless CMD is on the path.
need() { command -v "$1" >/dev/null || { echo "${0##*/}: $1 is missing (apt-get install $2)" >&2; exit 1; }; }

# port_free: exit if anything accepts a connection on PORT (a fitmentd left over, or not).
port_free() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "${0##*/}: something already listens on port $PORT; stop it or set PORT" >&2
    exit 1
  fi
}

elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1"; }
peak_mib() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }

pid=""
stop_server() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
  fi
}

# start_server LOG [fitmentd flags…]: starts bin/fitmentd on SNAP and DATA, waits for
# /readyz, sets pid and ready_s (seconds to ready).
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
      echo "${0##*/}: fitmentd exited before it was ready" >&2
      pid=""
      exit 1
    fi
    sleep 0.05
  done
  ready_s=$(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc)")
}

# rss [FIELD]: fitmentd's VmRSS (or VmHWM, …) in MiB.
rss() { awk -v k="${1:-VmRSS}:" '$1 == k {printf "%.0f", $2/1024}' "/proc/$pid/status"; }

# rot NAME FILE CONNS [wrk flags…]: wrk -t2 with rotate.lua over a paths file for WRK_DURATION.
rot() {
  local name=$1 file=$2 conns=$3
  shift 3
  PATHS=$file wrk -t2 -c"$conns" -d"$WRK_DURATION" "$@" -s benchmarks/rotate.lua "$BASE" > "$RUN/wrk-$name.txt" 2>&1 || true
  grep -q '^ROTATE' "$RUN/wrk-$name.txt" || { cat "$RUN/wrk-$name.txt" >&2; echo "${0##*/}: wrk $name printed no summary" >&2; exit 1; }
}
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
