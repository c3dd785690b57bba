-- wrk script: POSTs pre-minted partner assertions to /oauth/token, each exactly once
-- (they are single-use). BENCH_ASSERTIONS names a file of one assertion per line;
-- thread k of BENCH_THREADS takes lines k, k + n, k + 2n, … A thread that runs out
-- stops, so a spent assertion is never replayed.
function init()
  local n = tonumber(os.getenv("BENCH_THREADS"))
  local prefix = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
  bodies = {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_ASSERTIONS")) do
    if i % n == id then
      bodies[#bodies + 1] = prefix .. line
    end
    i = i + 1
  end
  nextBody = 1
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
end

function request()
  local body = bodies[nextBody]
  if body == nil then
    wrk.thread:stop()
    body = ""
  end
  nextBody = nextBody + 1
  return wrk.format("POST", "/oauth/token", headers, body)
end

dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
