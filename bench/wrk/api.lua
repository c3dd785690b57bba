-- wrk script: GET /api/v1/me/record as the widget does, with a bearer token and the
-- partner page's Origin. BENCH_TOKENS names a file of "token origin" lines; each
-- thread cycles through all of them, starting at its own offset.
function init()
  requests = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    local token, origin = line:match("^(%S+) (%S+)$")
    local headers = { ["Authorization"] = "Bearer " .. token, ["Origin"] = origin }
    -- The limits benchmark puts the load behind one client address.
    local forwarded = os.getenv("BENCH_FORWARDED_FOR") or ""
    if forwarded ~= "" then headers["X-Forwarded-For"] = forwarded end
    requests[#requests + 1] = wrk.format("GET", "/api/v1/me/record", headers)
  end
  nextRequest = id % #requests
end

function request()
  nextRequest = nextRequest % #requests + 1
  return requests[nextRequest]
end

dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
