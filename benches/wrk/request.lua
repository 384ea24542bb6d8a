-- wrk script for every benchmark request (GETs and POSTs alike).
-- bench.py writes one request description per traffic type and passes its path in BENCH_REQUEST:
--   line 1:            METHOD PATH
--   following lines:   Name: value           (request headers, until an empty line)
--   after the empty line, the raw request body (may be empty; bytes kept as they are)
-- done() prints one line "BENCH_RESULT {json}" that bench.py parses.

local function load_request(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  local head_end = string.find(text, "\n\n", 1, true)
  local head = string.sub(text, 1, head_end - 1)
  local body = string.sub(text, head_end + 2)
  local method, target, headers = nil, nil, {}
  for line in string.gmatch(head, "[^\n]+") do
    if not method then
      method, target = string.match(line, "^(%S+) (%S+)$")
    else
      local name, value = string.match(line, "^([^:]+): (.*)$")
      headers[name] = value
    end
  end
  if body == "" then body = nil end
  return method, target, headers, body
end

local req

function init(args)
  local method, target, headers, body = load_request(os.getenv("BENCH_REQUEST"))
  req = wrk.format(method, target, headers, body)
end

function request()
  return req
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
