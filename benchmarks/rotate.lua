-- rotate.lua: a wrk script that sends every request to the next path of a paths file
-- (benchmarks/tools/paths: one "publishableKey TAB path" a line), with that line's
-- X-API-Key, so that no figure comes from one repeated URL.
--
--   PATHS=var/bench/paths/cascade.paths wrk -t2 -c16 -d10s -s benchmarks/rotate.lua http://127.0.0.1:18080
--   wrk -t2 -c64 -d10s --latency -s benchmarks/rotate.lua http://127.0.0.1:18080 -- FILE
--
-- Each wrk thread starts at its own offset into the file (spread by the golden ratio) and
-- walks it in order, wrapping around. ENCODING=gzip (the default, as browsers send),
-- identity or zstd sets Accept-Encoding. Every answer's status is counted: anything but
-- 200 or 304 is reported as non2xx, since a benchmark that serves errors fast proves
-- nothing (COUNT=errors: see below). The last line printed is machine-readable:
--
--   ROTATE file=cascade.paths paths=1000 requests=… duration_s=… rps=… p50_ms=… p90_ms=…
--     p99_ms=… max_ms=… non2xx=… counted=all socket_errors=… statuses=200:…,404:… bytes=…

local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("thread_id", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

local function fail(msg)
   io.stderr:write("rotate.lua: " .. msg .. "\n")
   os.exit(2)
end

-- Globals below are per thread (each wrk thread has its own Lua state); done() reads them
-- back through thread:get.
requests_list = nil
npaths = 0
pos = 0
good = 0
bad = 0
statuses = {}
file_name = ""

function init(args)
   local file = os.getenv("PATHS")
   if file == nil or file == "" then file = args[1] end
   if file == nil or file == "" then fail("no paths file: set PATHS or pass it after --") end
   file_name = file:match("([^/]+)$") or file
   local enc = os.getenv("ENCODING")
   if enc == nil or enc == "" then enc = "gzip" end
   if enc ~= "gzip" and enc ~= "identity" and enc ~= "zstd" then
      fail("ENCODING=" .. enc .. ": want gzip, identity or zstd")
   end
   local f = io.open(file, "r")
   if f == nil then fail("cannot open " .. file) end
   requests_list = {}
   for line in f:lines() do
      local key, path = line:match("^([^\t]*)\t(.+)$")
      if path ~= nil then
         local h = {}
         for k, v in pairs(wrk.headers) do h[k] = v end
         if key ~= "" then h["X-API-Key"] = key end
         if enc ~= "identity" then h["Accept-Encoding"] = enc end
         requests_list[#requests_list + 1] = wrk.format("GET", path, h)
      end
   end
   f:close()
   npaths = #requests_list
   if npaths == 0 then fail(file .. " holds no paths") end
   local id = thread_id or 0
   pos = math.floor(npaths * ((id * 0.6180339887498949) % 1))
end

function request()
   pos = pos + 1
   if pos > npaths then pos = 1 end
   return requests_list[pos]
end

-- COUNT=errors drops the per-answer Lua callback (wrk then hands no bodies to Lua, about
-- 5-10 % more throughput on large answers) and reports wrk's own count of statuses >= 400.
count_all = os.getenv("COUNT") ~= "errors"

if count_all then
   function response(status, headers, body)
      statuses[status] = (statuses[status] or 0) + 1
      if status == 200 or status == 304 then
         good = good + 1
      else
         bad = bad + 1
      end
   end
end

function done(summary, latency, requests)
   local nbad, paths, name = 0, 0, ""
   local st = {}
   for _, t in ipairs(threads) do
      nbad = nbad + (t:get("bad") or 0)
      paths = t:get("npaths") or paths
      name = t:get("file_name") or name
      local s = t:get("statuses") or {}
      for code, n in pairs(s) do st[code] = (st[code] or 0) + n end
   end
   local codes = {}
   for code, _ in pairs(st) do codes[#codes + 1] = code end
   table.sort(codes)
   local parts = {}
   for _, code in ipairs(codes) do parts[#parts + 1] = code .. ":" .. st[code] end
   local e = summary.errors
   local counted = "all"
   if not count_all then nbad, counted = e.status, "ge400" end
   local sock = e.connect + e.read + e.write + e.timeout
   local secs = summary.duration / 1e6
   io.write(string.format(
      "ROTATE file=%s paths=%d requests=%d duration_s=%.2f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d counted=%s socket_errors=%d connect=%d read=%d write=%d timeout=%d statuses=%s bytes=%d\n",
      name, paths, summary.requests, secs, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000, nbad, counted, sock, e.connect, e.read, e.write, e.timeout,
      table.concat(parts, ","), summary.bytes))
end
