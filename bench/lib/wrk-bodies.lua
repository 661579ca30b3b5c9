-- wrk script: POST pre-signed JWS bodies, each exactly once (every wrk thread takes a disjoint slice of the
-- file), and print a JSON summary. Usage: wrk -s bench/lib/wrk-bodies.lua URL -- BODIES_FILE
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  local n = 0
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  for line in io.lines(args[1]) do
    if n % nthreads == id then bodies[#bodies + 1] = line end
    n = n + 1
  end
  nextBody = 0
  created = 0
  other = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/jose"
end

function request()
  nextBody = nextBody + 1
  local body = bodies[nextBody]
  if body == nil then body = bodies[1] end -- ran out: replays answer 200 and are counted as "other"
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  io.write(string.format('{"created":%d,"other":%d,"requests":%d,"errors":%d,"seconds":%f,"p50":%f,"p90":%f,"p99":%f}\n',
    c, o, summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
