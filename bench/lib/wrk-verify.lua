-- wrk script: signed-in clerks' requests, rotating (cookie, csrf, number, key) tuples — one tuple per request,
-- each wrk thread taking a disjoint slice of the file — and a JSON summary (p50/p90/p95/p99, expected statuses).
-- Usage: wrk -s bench/lib/wrk-verify.lua URL -- TUPLES_FILE MODE ORIGIN
--   TUPLES_FILE  one tuple a line: cookie <TAB> csrf <TAB> number <TAB> key (key unused by the GET modes)
--   MODE         verify: POST /verify (expects 303)            view:   GET /certificates/<number> (expects 200)
--                mixed:  POST /verify, and for every 303 a GET of the page it names (after the 303 arrived)
--                show:   POST /verify as htmx sends it (expects 200 carrying the rendered 保証証書 — its <h1> — and
--                        HX-Push-Url; anything else counts as "other", first status 1 for a 200 without them)
--                list:   GET /certificates (expects 200)
--                search: GET /certificates?q=<number column, already URL-encoded> (expects 200)
--   ORIGIN       the server's configured origin (the CSRF check compares the Origin header with it)
-- wrk's request() is not told which connection it feeds, so "per connection" rotation is per request here:
-- consecutive requests (on whichever of the thread's connections is free) take consecutive tuples.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(line)
  local out = {}
  for field in string.gmatch(line .. "\t", "([^\t]*)\t") do out[#out + 1] = field end
  return out
end

function init(args)
  tuples = {}
  local n = 0
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  for line in io.lines(args[1]) do
    if line ~= "" then
      if n % nthreads == id then tuples[#tuples + 1] = split(line) end
      n = n + 1
    end
  end
  mode = args[2] or "verify"
  origin = args[3]
  nextTuple = 0
  pending = {}
  s303 = 0
  s200 = 0
  other = 0
  firstOther = 0
end

local function headers(t)
  return { ["Cookie"] = t[1], ["Accept"] = "text/html" }
end

local function verifyRequest(t)
  local h = headers(t)
  if mode == "show" then
    h["HX-Request"] = "true"
    h["HX-Request-Type"] = "partial"
  end
  h["Origin"] = origin
  h["Content-Type"] = "application/x-www-form-urlencoded"
  local body = "_csrf=" .. t[2] .. "&contractNumber=" .. t[3] .. "&authKey=" .. t[4]
  return wrk.format("POST", "/verify", h, body)
end

function request()
  if mode == "mixed" and #pending > 0 then
    -- The certificate page a 303 named: its verify is durable, so the page is there (any clerk of the org).
    local location = table.remove(pending, 1)
    return wrk.format("GET", location, headers(tuples[1]), nil)
  end
  nextTuple = nextTuple % #tuples + 1
  local t = tuples[nextTuple]
  if mode == "verify" or mode == "mixed" or mode == "show" then return verifyRequest(t) end
  if mode == "list" then return wrk.format("GET", "/certificates", headers(t), nil) end
  if mode == "search" then return wrk.format("GET", "/certificates?q=" .. t[3], headers(t), nil) end
  return wrk.format("GET", "/certificates/" .. t[3], headers(t), nil)
end

-- Counted by status; the caller knows what its mode expects (verify: 303; GETs: 200; mixed: as many of each).
function response(status, headers, body)
  if mode == "show" and status == 200 then
    local pushed = headers["hx-push-url"] or headers["HX-Push-Url"]
    if pushed ~= nil and string.find(body, "<h1>保証証書", 1, true) then
      s200 = s200 + 1
    else
      other = other + 1
      if firstOther == 0 then firstOther = 1 end
    end
    return
  end
  if status == 303 then
    s303 = s303 + 1
    if mode == "mixed" then table.insert(pending, headers["location"] or headers["Location"]) end
  elseif status == 200 then
    s200 = s200 + 1
  else
    other = other + 1
    if firstOther == 0 then firstOther = status end
  end
end

function done(summary, latency, requests)
  local a, b, x, first = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("s303")
    b = b + t:get("s200")
    x = x + t:get("other")
    if first == 0 then first = t:get("firstOther") end
  end
  io.write(string.format(
    '{"s303":%d,"s200":%d,"other":%d,"firstOther":%d,"requests":%d,"errors":%d,"seconds":%f,"p50":%f,"p90":%f,"p95":%f,"p99":%f}\n',
    a, b, x, first, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
