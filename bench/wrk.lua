-- Sends the scenario's request with a body made unique per request: every "__N__" in the
-- template becomes "<thread>-<counter>", so inserts never collide (no duplicates, no 4xx).
-- Prints one JSON line with the figures the benchmark reads.
local counter = 0
local prefix = ""

function init(args)
  prefix = string.sub(tostring({}), 8) .. tostring(math.random(1, 1000000))
end

function request()
  counter = counter + 1
  local body = string.gsub(wrk.body, "__N__", prefix .. "-" .. counter)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non2xx": %d, ' ..
    '"socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
