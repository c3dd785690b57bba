-- Shared by the wrk scripts: each thread gets an `id` (0, 1, …) to pick its share of
-- the input, and the run ends with one JSON line the harness reads (rate, latency, and
-- how many answers were errors, HTTP 4xx/5xx or socket failures, which must be none).
local ids = 0

function setup(thread)
  thread:set("id", ids)
  ids = ids + 1
end

function done(summary, latency)
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"failed":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests,
    summary.duration,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50),
    latency:percentile(99)))
end
