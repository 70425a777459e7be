-- One load-test scenario for wrk, driven by benchmarks/load_test.py.
--
--   wrk -t1 -c16 -d10s -s benchmarks/load/scenario.lua http://127.0.0.1:PORT -- \
--       schedule=concept,claims,... tokens=TOKEN1,TOKEN2 offset=N
--
-- schedule: the request kinds in the order each connection-thread cycles through them (the
--           weights of the mix are the number of times a kind appears; "floor" alone is the
--           framework's floor).
-- tokens:   API tokens, rotated over the authenticated requests (learner1, learner2).
-- offset:   a multiple of 10^7 unique to this invocation, so that every "demo_new" submission
--           asks for parameters never asked for before in this database (beta stays in
--           (0.5, 1.5) for up to 100 invocations of up to 10 threads).
--
-- Every response that is not a 2xx counts as an error. done() prints one line,
-- "LOADTEST_RESULT {json}", with the throughput inputs, the latency percentiles (µs), the
-- status counts and the first error body seen.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local schedule, tokens = {}, {}
local offset, position, token_position, serial = 0, 0, 0, 0
local CONCEPT_KEY = "concept:alignment/rlhf"
local CACHED_DEMO_BODY = '{"beta": 0.7, "shift": 10.0}'
local JSON = "application/json"

local function split(text)
  local items = {}
  for item in string.gmatch(text or "", "[^,]+") do
    table.insert(items, item)
  end
  return items
end

function init(args)
  for _, arg in ipairs(args) do
    local name, value = string.match(arg, "^([%w_]+)=(.*)$")
    if name == "schedule" then
      schedule = split(value)
    elseif name == "tokens" then
      tokens = split(value)
    elseif name == "offset" then
      offset = tonumber(value)
    end
  end
  if #schedule == 0 then
    error("scenario.lua needs schedule=kind,kind,...")
  end
  statuses = {}
  non_2xx = 0
  first_error = ""
  -- Each thread owns its own range of demo parameters (under a million requests each).
  serial = offset + thread_index * 1000000
end

local function next_token()
  token_position = token_position % #tokens + 1
  return tokens[token_position]
end

local function auth_headers(content_type)
  local headers = { ["Authorization"] = "Token " .. next_token() }
  if content_type then
    headers["Content-Type"] = content_type
  end
  return headers
end

local builders = {
  floor = function()
    return wrk.format("GET", "/api/v1/")
  end,
  concept = function()
    return wrk.format("GET", "/api/v1/concepts/alignment/rlhf/", auth_headers())
  end,
  claims = function()
    return wrk.format("GET", "/api/v1/claims/", auth_headers())
  end,
  demo_cached = function()
    return wrk.format("POST", "/api/v1/demos/kl-policy/runs/", auth_headers(JSON), CACHED_DEMO_BODY)
  end,
  demo_new = function()
    serial = serial + 1
    -- beta 1e-9 apart: distinct floats, so a new computation every time.
    local body = string.format('{"beta": %.9f, "shift": 10.0}', 0.5 + serial * 1e-9)
    return wrk.format("POST", "/api/v1/demos/kl-policy/runs/", auth_headers(JSON), body)
  end,
  drafts = function()
    serial = serial + 1
    local body = string.format(
      '{"anchor": "%s", "question": "Load draft %d: why does the KL term keep the policy near the reference?"}',
      CONCEPT_KEY,
      serial
    )
    return wrk.format("POST", "/api/v1/research-room/drafts/", auth_headers(JSON), body)
  end,
}

function request()
  position = position % #schedule + 1
  local build = builders[schedule[position]]
  if build == nil then
    error("unknown request kind " .. schedule[position])
  end
  return build()
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
    if first_error == "" then
      first_error = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

local function json_string(text)
  return '"' .. string.gsub(text, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

function done(summary, latency, requests)
  local all_statuses, errors_2xx, sample = {}, 0, ""
  for _, thread in ipairs(threads) do
    errors_2xx = errors_2xx + thread:get("non_2xx")
    for status, count in pairs(thread:get("statuses")) do
      all_statuses[status] = (all_statuses[status] or 0) + count
    end
    if sample == "" then
      sample = thread:get("first_error")
    end
  end
  local status_items = {}
  for status, count in pairs(all_statuses) do
    table.insert(status_items, string.format('"%d": %d', status, count))
  end
  local e = summary.errors
  io.write(
    "LOADTEST_RESULT "
      .. string.format(
        '{"duration_us": %d, "requests": %d, "bytes": %d, "non_2xx": %d, '
          .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
          .. '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "mean": %.1f, "max": %d}, '
          .. '"statuses": {%s}, "first_error": %s}\n',
        summary.duration,
        summary.requests,
        summary.bytes,
        errors_2xx,
        e.connect,
        e.read,
        e.write,
        e.timeout,
        latency:percentile(50),
        latency:percentile(95),
        latency:percentile(99),
        latency.mean,
        latency.max,
        table.concat(status_items, ", "),
        json_string(sample)
      )
  )
end
