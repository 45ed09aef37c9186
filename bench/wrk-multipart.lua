-- wrk script: POST the multipart body in $WRK_BODY to /inference; report status counts and
-- latency percentiles as one JSON line.
local f = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "multipart/form-data; boundary=vibeopsybench"

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() c2xx, c503, c5xx, cother = 0, 0, 0, 0 end
function response(status)
  if status >= 200 and status < 300 then c2xx = c2xx + 1
  elseif status == 503 then c503 = c503 + 1
  elseif status >= 500 then c5xx = c5xx + 1
  else cother = cother + 1 end
end
function done(summary, latency, requests)
  local ok, shed, five, other = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("c2xx"); shed = shed + t:get("c503"); five = five + t:get("c5xx"); other = other + t:get("cother")
  end
  io.write(string.format(
    'JSON {"requests":%d,"seconds":%.3f,"p50_ms":%.1f,"p99_ms":%.1f,"ok":%d,"shed_503":%d,"other_5xx":%d,"other":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    ok, shed, five, other, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
