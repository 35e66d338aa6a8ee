#!/usr/bin/env bash
# Fitment over HTTP on the data eu.sh left behind (run eu.sh first): fit checks and
# part → vehicles tables as request mixes (2,000 paths each, rotate.lua at c=16, every
# answer computed: --cache-bytes -1), then bulk lookups of 10,000 part numbers of the tenant
# that sees the most brands, in NDJSON and CSV, plain, zstd and gzip (links/s, time to the
# first byte, the server's RSS before and at its peak during the call), and the export of
# that tenant's largest brand. The client is Python reading the stream in 1 MiB chunks on
# the same two cores.
#
#   benchmarks/fitment-http.sh                 # eu, FITMENT_BENCH_DIR=var/bench
#   PROFILE=small benchmarks/fitment-http.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-eu}
DIR=${FITMENT_BENCH_DIR:-$PWD/var/bench}
SRC=$DIR/$PROFILE-seed1
SNAP=$SRC.snap
DATA=$DIR/$PROFILE-data
RUN=$DIR/$PROFILE-run
OUT=$RUN/fitment
PORT=${PORT:-18080}
WRK_DURATION=${WRK_DURATION:-10s}
BASE=http://127.0.0.1:$PORT
[ -f "$RUN/paths/parts-50.paths" ] || { echo "fitment-http.sh: run benchmarks/eu.sh first (no $RUN/paths)" >&2; exit 1; }
mkdir -p "$OUT"
make -s build
bin/fitmentd --snapshot "$SNAP" --data "$DATA" --addr "127.0.0.1:$PORT" --drain 0s --cache-bytes -1 > "$OUT/fitmentd.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "$BASE/readyz"; do kill -0 $pid || exit 1; sleep 0.2; done

python3 - "$SRC" "$DATA/demo-keys.txt" "$RUN/paths" "$OUT" "$BASE" "$pid" <<'PY'
import csv, json, random, sys, threading, time, urllib.parse, urllib.request
src, keysfile, paths, out, base, pid = sys.argv[1:7]
random.seed(1)
csv.field_size_limit(10**9)

def get(key, path):
    req = urllib.request.Request(base + path, headers={'X-API-Key': key})
    with urllib.request.urlopen(req) as r:
        return json.load(r)

# Fit checks: half a part of the vehicle's own list (it fits), half a part of another list
# of the same tenant (mostly does not); part → vehicles for the same parts.
lists = [l.rstrip('\n').split('\t') for l in open(f'{paths}/parts-50.paths')]
fits, tables = [], []
for key, path in random.sample(lists, min(400, len(lists))):
    vid = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)['vehicleId'][0]
    parts = [p['partNumber'] for p in get(key, path)]
    if not parts:
        continue
    other = get(key, random.choice([p for k, p in lists if k == key]))
    for _ in range(5):
        pn = random.choice(parts)
        if random.random() < 0.5 and other:
            pn = random.choice(other)['partNumber']
        q = urllib.parse.quote(pn, safe='')
        fits.append(f'{key}\t/api/t/parts/{q}/fits?vehicleId={vid}')
        tables.append(f'{key}\t/api/t/parts/{q}/vehicles')
for name, ps in (('fits', fits), ('part-vehicles', tables)):
    with open(f'{out}/{name}.paths', 'w') as f:
        f.write('\n'.join(ps[:2000]) + '\n')

# The bulk tenant: the one subscribed to the most brands.
tenants = json.load(open(f'{src}/tenants.json'))
keys = {l.split('\t')[0]: l.rstrip('\n').split('\t') for l in open(keysfile)}
t = max((t for t in tenants if t['id'] in keys), key=lambda t: (len(t['brands']), t['id']))
secret = keys[t['id']][2]
brands = set(t['brands'])
pool, per_brand, seen = [], {}, 0
with open(f'{src}/parts.csv', newline='') as f:
    for row in csv.DictReader(f):
        if row['brand'] not in brands:
            continue
        per_brand[row['brand']] = per_brand.get(row['brand'], 0) + 1
        seen += 1
        if len(pool) < 10000:
            pool.append(row['part_number'])
        elif random.random() < 10000 / seen:
            pool[random.randrange(10000)] = row['part_number']
big = max(per_brand, key=per_brand.get)

def rss():
    for line in open(f'/proc/{pid}/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) // 1024

def call(method, path, body, accept, enc):
    h = {'X-API-Key': secret, 'Accept': accept}
    if enc:
        h['Accept-Encoding'] = enc
    if body is not None:
        h['Content-Type'] = 'application/json'
    req = urllib.request.Request(base + path, data=body, headers=h, method=method)
    before, peak, stop = rss(), [0], threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.005)
    th = threading.Thread(target=sample)
    th.start()
    t0 = time.perf_counter()
    n = lines = 0
    with urllib.request.urlopen(req) as r:
        first = r.read(1)
        ttfb = time.perf_counter() - t0
        n, lines = len(first), first.count(b'\n')
        while True:
            b = r.read(1 << 20)
            if not b:
                break
            n += len(b)
            lines += b.count(b'\n')
    total = time.perf_counter() - t0
    stop.set()
    th.join()
    return dict(bytes=n, lines=lines, ttfb_ms=ttfb * 1000, s=total, rss_before=before, rss_peak=max(peak[0], before))

body = json.dumps({'partNumbers': pool}).encode()
rows, links = [], None
for accept, fmt in (('application/x-ndjson', 'NDJSON'), ('text/csv', 'CSV')):
    for enc in ('', 'zstd', 'gzip'):
        best = None
        for _ in range(3):
            r = call('POST', '/api/integrations/fitments/lookup', body, accept, enc)
            best = r if best is None or r['s'] < best['s'] else best
        if enc == '':
            links = best['lines'] - (1 if fmt == 'CSV' else 0)  # lines minus the header; status lines are few
        rows.append((f'bulk lookup, 10,000 part numbers, {fmt}, {enc or "identity"}', best, links))
q = urllib.parse.quote(big, safe='')
exp = call('GET', f'/api/integrations/fitments/export?brand={q}', None, 'application/x-ndjson', '')
exp_z = call('GET', f'/api/integrations/fitments/export?brand={q}', None, 'application/x-ndjson', 'zstd')
rows.append((f'export of brand {big} ({per_brand[big]:,} parts), NDJSON, identity', exp, exp['lines']))
rows.append((f'export of brand {big}, NDJSON, zstd', exp_z, exp['lines']))
with open(f'{out}/bulk.md', 'w') as f:
    f.write(f'Bulk tenant: {t["id"]} ({t["type"]}, {len(brands)} brands); lookups: best of 3 calls each.\n\n')
    f.write('| what | links | links/s | first byte | bytes | fitmentd RSS before → peak |\n|---|---|---|---|---|---|\n')
    for what, r, n in rows:
        f.write(f'| {what} | {n:,} | **{n / r["s"] / 1e6:.2f} M** ({r["s"] * 1000:.0f} ms) | {r["ttfb_ms"]:.1f} ms | {r["bytes"] / 1e6:.1f} MB | {r["rss_before"]} → {r["rss_peak"]} MiB |\n')
print(open(f'{out}/bulk.md').read())
PY

for mix in fits part-vehicles; do
  PATHS=$OUT/$mix.paths COUNT=errors wrk -t2 -c16 -d"$WRK_DURATION" -s benchmarks/rotate.lua "$BASE" > "$OUT/wrk-$mix.txt" 2>&1
  echo "$mix: $(grep '^ROTATE' "$OUT/wrk-$mix.txt")"
done
if grep -q panic "$OUT/fitmentd.log"; then echo "fitment-http.sh: the server logged panics: $OUT/fitmentd.log" >&2; exit 1; fi
