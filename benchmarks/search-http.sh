#!/usr/bin/env bash
# Search, type-ahead and vehicle resolve over HTTP on the data eu.sh left behind (run eu.sh
# first): 2,000 paths per mix, drawn with a fixed seed from the profile's parts and vehicles
# and eu.sh's sampled tenants and vehicles (parts-50.paths), sent by rotate.lua at c=16 for
# WRK_DURATION each, every answer computed (--cache-bytes -1). Each search mix runs twice:
# the first pass after start also pays each tenant's first search.
#
#   benchmarks/search-http.sh                  # eu, FITMENT_BENCH_DIR=var/bench
#   MEMORY_LIMIT=0 benchmarks/search-http.sh   # without fitmentd's heap limit
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-eu}
DIR=${FITMENT_BENCH_DIR:-$PWD/var/bench}
SRC=$DIR/$PROFILE-seed1
SNAP=$SRC.snap
DATA=$DIR/$PROFILE-data
RUN=$DIR/$PROFILE-run
OUT=$RUN/search
PORT=${PORT:-18080}
WRK_DURATION=${WRK_DURATION:-10s}
BASE=http://127.0.0.1:$PORT
[ -f "$RUN/paths/parts-50.paths" ] || { echo "search-http.sh: run benchmarks/eu.sh first (no $RUN/paths)" >&2; exit 1; }
mkdir -p "$OUT"
python3 - "$SRC" "$RUN/paths/parts-50.paths" "$OUT" <<'PY'
import csv, random, sys, urllib.parse
src, parts50, out = sys.argv[1:4]
random.seed(1)
csv.field_size_limit(10**9)
langs = {'name': '', 'name_de': 'de', 'name_fr': 'fr', 'name_sv': 'sv'}
names, numbers = [], []
with open(f'{src}/parts.csv', newline='') as f:
    for i, row in enumerate(csv.DictReader(f)):
        if i % 50:
            continue
        numbers.append(row['part_number'])
        for col, lang in langs.items():
            if row.get(col):
                names.append((row[col], lang))
        if len(numbers) >= 20000:
            break
vehicles = []
with open(f'{src}/vehicles.csv', newline='') as f:
    for i, row in enumerate(csv.DictReader(f)):
        if i % 40 == 0:
            vehicles.append(row)
lines = [l.rstrip('\n').split('\t') for l in open(parts50)]
def words(name):
    w = name.split()
    i = random.randrange(len(w))
    return ' '.join(w[i:i + random.choice([1, 2])])
mixes = {'search-vehicle': [], 'search-tenant': [], 'suggest': [], 'resolve': []}
for _ in range(2000):
    key, path = random.choice(lines)
    vid = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)['vehicleId'][0]
    if random.random() < 0.2:
        text, lang = random.choice(numbers), ''
    else:
        name, lang = random.choice(names)
        text = words(name)
    lp = f'&lang={lang}' if lang else ''
    q = urllib.parse.quote_plus(text)
    mixes['search-vehicle'].append(f'{key}\t/api/t/search?q={q}&vehicleId={vid}&limit=20&facets=category,brand{lp}')
    mixes['search-tenant'].append(f'{key}\t/api/t/search?q={q}&limit=20&facets=category,brand{lp}')
    name, lang = random.choice(names)
    lp = f'&lang={lang}' if lang else ''
    mixes['suggest'].append(f'{key}\t/api/t/suggest?q={urllib.parse.quote_plus(name[:random.randint(1, min(12, len(name)))])}{lp}')
    v = random.choice(vehicles)
    year = (v.get('years') or '').split('-')[0][-2:]
    mixes['resolve'].append(f'{key}\t/api/t/vehicles/resolve?q={urllib.parse.quote_plus(v["make"] + " " + v["model"] + " " + year)}')
for name, paths in mixes.items():
    with open(f'{out}/{name}.paths', 'w') as f:
        f.write('\n'.join(paths) + '\n')
PY
make -s build
extra=()
[ -n "${MEMORY_LIMIT:-}" ] && extra=(--memory-limit "$MEMORY_LIMIT")
bin/fitmentd --snapshot "$SNAP" --data "$DATA" --addr "127.0.0.1:$PORT" --drain 0s --cache-bytes -1 "${extra[@]}" > "$OUT/fitmentd.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "$BASE/readyz"; do kill -0 $pid || exit 1; sleep 0.2; done
sleep 5 # the suggest dictionaries and the index prewarm, built after ready
for mix in search-vehicle search-vehicle search-tenant search-tenant suggest resolve; do
  PATHS=$OUT/$mix.paths COUNT=errors wrk -t2 -c16 -d"$WRK_DURATION" -s benchmarks/rotate.lua "$BASE" > "$OUT/wrk-$mix.txt" 2>&1
  echo "$mix: $(grep '^ROTATE' "$OUT/wrk-$mix.txt")"
done
if grep -q panic "$OUT/fitmentd.log"; then echo "search-http.sh: the server logged panics: $OUT/fitmentd.log" >&2; exit 1; fi
