-- Mixed reads and writes against `regledger serve`, for wrk.
-- Arguments (after `--`): run-id, bearer token, then ids of models already in the views.
-- Each thread registers models and suspends and restores the one it registered last, so that
-- no record's history grows without bound; the views are read for a model given as argument
-- (one registered a moment ago may not be projected yet). Each thread counts answers by
-- status, and `done` prints one JSON line starting "SOAK ".

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("number", counter)
   table.insert(threads, thread)
end

local foreign = '{"user_classes":["foreign_national"],"jurisdictions":["*"]}'
local run, token, seeded, latest, sent
statuses = {}  -- global: `done` reads it from each thread

function init(args)
   run = args[1]
   token = args[2]
   local models = {}
   for i = 3, #args do table.insert(models, args[i]) end
   seeded = models[(number - 1) % #models + 1]
   latest = seeded
   sent = 0
end

local function post(path, body)
   return wrk.format("POST", path, {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }, body)
end

local function get(path)
   return wrk.format("GET", path)
end

function request()
   sent = sent + 1
   local step = sent % 10
   if step == 0 then
      local name = string.format("soak %s %d %d", run, number, sent)
      return post("/v1/models", '{"name":"' .. name .. '","description":"soak"}')
   elseif step == 1 then
      return post("/v1/models/" .. latest .. "/suspensions",
                  '{"scope":' .. foreign .. ',"reason":"soak"}')
   elseif step == 2 then
      return post("/v1/models/" .. latest .. "/restorations",
                  '{"scope":' .. foreign .. ',"reason":"soak"}')
   elseif step == 3 then
      return get("/v1/models/" .. seeded .. "/access?user_class=foreign_national&jurisdiction=CN")
   elseif step == 4 then
      return get("/v1/models/" .. seeded .. "/status")
   elseif step == 5 then
      return get("/v1/models?limit=20")
   elseif step == 6 then
      return get("/v1/directives")
   elseif step == 7 then
      return get("/v1/models/" .. latest .. "/history")
   elseif step == 8 then
      return get("/v1/audit/tree-head")
   end
   return get("/v1/models/" .. latest)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status == 201 then
      latest = string.match(body, '"id":"([0-9a-f-]+)"') or latest
   end
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      local seen = thread:get("statuses")
      for status, n in pairs(seen) do
         local key = tostring(status)
         counts[key] = (counts[key] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(counts) do
      table.insert(parts, string.format('"%s":%d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'SOAK {"requests":%d,"duration_us":%d,"statuses":{%s},' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
      '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
      summary.requests, summary.duration, table.concat(parts, ","),
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean))
end
