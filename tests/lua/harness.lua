--------------------------------------------------------------------------------
-- harness.lua: runs the simulated game feeding the REAL widget (real LuaSocket)
-- connected to 127.0.0.1:PORT. Driven by tests/integration/widget_integration.rs.
--
-- lua5.1 tests/lua/harness.lua --port P [--frames N] [--units N]
--     [--view spectator|player|replay] [--dump FILE] [--realtime] [--settle F]
--     [--drain SECONDS] [--no-receiver] [--names normal|hostile] [--seed S]
--     [--rate HZ] [--detail D] [--queue-kb K] [--progress N] [--view-switch FRAME] [--orders-log FILE]
--
-- --realtime        pace frames at 30 per wall second (so a receiver can restart mid-run)
-- --settle F        after the run, F more frames with the simulation frozen so every
--                   unit is sent again exactly (an unchanged one within 5 game seconds and a look, even at the
--                   throttled 1 Hz; SCHEMA.md, unit sets) and one whole walk of the Spectator HUD's values
--                   (protocol 1.1, once a game second) sees the frozen state (default 200); then up to --drain seconds (default 3)
--                   of Update calls until the widget's queue is empty; then Shutdown (bye)
-- --no-receiver     use a port nobody listens on (the widget must back off quietly)
-- --dump FILE       write the fake engine's ground truth for the view as JSON
-- --progress N      print a status line every N frames
-- --orders-log FILE write what the fake engine reported to the widget's UnitCommand/UnitCreated (with a builder)
--                   from the first frame after the widget connected, as JSON: { from = frame, orders = [...] }
--
-- Prints progress lines and, last, "SUMMARY {json}" with the widget's own status
-- and the per-frame cost (ms) of all its call-ins: p50, p99, max.
--------------------------------------------------------------------------------
-- This file's folder: the shared test code beside it is loaded from there.
local DIR = debug.getinfo(1, "S").source:sub(2):match("^(.*)/[^/]*$") or "."
local ROOT = DIR .. "/../.."
package.path = DIR .. "/?.lua;" .. package.path

local socket = require("socket")
local json = require("dkjson")
local FE = dofile(DIR .. "/fake_engine.lua")

local opts = { frames = 300, units = 200, view = "spectator", settle = 200, drain = 3, names = "normal", seed = 12345,
               progress = 0 }
local i = 1
while i <= #arg do
  local a = arg[i]
  local function val() i = i + 1; return arg[i] end
  if a == "--port" then opts.port = tonumber(val())
  elseif a == "--frames" then opts.frames = tonumber(val())
  elseif a == "--units" then opts.units = tonumber(val())
  elseif a == "--view" then opts.view = val()
  elseif a == "--dump" then opts.dump = val()
  elseif a == "--realtime" then opts.realtime = true
  elseif a == "--settle" then opts.settle = tonumber(val())
  elseif a == "--drain" then opts.drain = tonumber(val())
  elseif a == "--no-receiver" then opts.noReceiver = true
  elseif a == "--names" then opts.names = val()
  elseif a == "--seed" then opts.seed = tonumber(val())
  elseif a == "--rate" then opts.rate = tonumber(val())
  elseif a == "--detail" then opts.detail = val()
  elseif a == "--queue-kb" then opts.queueKB = tonumber(val())
  elseif a == "--progress" then opts.progress = tonumber(val())
  elseif a == "--view-switch" then opts.viewSwitch = tonumber(val())
  elseif a == "--orders-log" then opts.ordersLog = val()
  else
    io.stderr:write("harness: unknown argument " .. tostring(a) .. "\n")
    os.exit(2)
  end
  i = i + 1
end

if opts.noReceiver then
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, p = s:getsockname()
  s:close()
  opts.port = tonumber(p)
end
if not opts.port then
  io.stderr:write("harness: --port or --no-receiver required\n")
  os.exit(2)
end

local E = FE.new({ root = ROOT, units = opts.units, view = opts.view, seed = opts.seed, names = opts.names,
                  logOrders = opts.ordersLog ~= nil, clock = "wall" })
E:loadWidget(ROOT .. "/widget/export_livedata.lua",
  { port = opts.port, rate = opts.rate, detail = opts.detail, queueKB = opts.queueKB }, true)
E:initialize()

local costs = {}
local queueMax = 0
local connectedFrom -- the first frame whose call-ins all reach a connected widget (it connects in Update)
local t0 = socket.gettime()
local frameNo = 0

local function pace()
  if opts.realtime then
    local due = t0 + frameNo / 30
    local now = socket.gettime()
    if due > now then socket.sleep(due - now) end
  end
end

local function progress(label)
  local st = E:status()
  print(string.format("%s frame=%d state=%s connections=%d failures=%d backoff=%.2f dropped=%d queue=%d sent=%d errors=%d text=%q",
    label, E.frame, st.state, st.connections, st.failures, st.backoff, st.dropped_total, st.queue_bytes, st.bytes_sent,
    st.errors, st.text))
  io.stdout:flush()
end

local function frame(record)
  frameNo = frameNo + 1
  pace()
  if not connectedFrom and E:status().state == "connected" then connectedFrom = E.frame + 1 end
  local c = E:step()
  if record then costs[#costs + 1] = c end
  local q = E:status().queue_bytes
  if q > queueMax then queueMax = q end
  if opts.progress > 0 and frameNo % opts.progress == 0 then progress("progress") end
end

for f = 1, opts.frames do
  if opts.viewSwitch and f == opts.viewSwitch then E:setView(2, false) end
  frame(true)
end
E.frozen = true
for _ = 1, opts.settle do frame(false) end
local deadline = socket.gettime() + opts.drain
while socket.gettime() < deadline do
  local st = E:status()
  if st.state ~= "connected" or st.queue_bytes == 0 then break end
  E:call("Update", 0.01)
  socket.sleep(0.005)
end
progress("final")
local final = E:status()
local truth = E:truth()
-- the Spectator HUD's values (protocol 1.1) per team, from the fake engine's own state; JSON arrays, ids sorted
truth.hud = {}
for t = 0, 3 do
  local h = E:hudTruth(t)
  local fac, con = {}, {}
  for id in pairs(h.factories) do fac[#fac + 1] = id end
  for id in pairs(h.constructing) do con[#con + 1] = id end
  table.sort(fac)
  table.sort(con)
  truth.hud[t + 1] = { team_id = t, utility_value = h.util, economy_value = h.econ, metal_reclaim = h.mrec,
    idle_builders = h.idle, units_killed = h.killed, units_died = h.died, factories = fac, constructing = con }
end
E:shutdown()

if opts.dump then
  local f = assert(io.open(opts.dump, "w"))
  f:write(json.encode(truth))
  f:close()
end

if opts.ordersLog then
  local from = connectedFrom or math.huge
  local list = {}
  for _, o in ipairs(E.orderLog) do
    if o.frame >= from then
      -- a build order given to a factory goes on the wire as a factory queue change
      local e = { frame = o.frame, kind = o.kind, team = o.team, unit = o.unit, def = o.def, cmd = o.cmd,
                  params = o.params, coded = o.coded, player = o.player, builder = o.builder,
                  factory = o.kind == "command" and o.cmd < 0 and E.defs[o.def].isFactory or nil }
      list[#list + 1] = e
    end
  end
  local f = assert(io.open(opts.ordersLog, "w"))
  f:write(json.encode({ from = from, orders = list }))
  f:close()
end

table.sort(costs)
local function pct(p)
  if #costs == 0 then return 0 end
  return costs[math.min(#costs, math.max(1, math.ceil(#costs * p)))]
end
local summary = {
  frames = opts.frames, units = #truth.units, state = final.state, connections = final.connections,
  failures = final.failures, backoff = final.backoff, last_error = final.last_error,
  dropped_total = final.dropped_total, errors = final.errors, bytes_sent = final.bytes_sent,
  queue_max = queueMax, queue_bound = (opts.queueKB or 4096) * 1024, throttled = final.throttled,
  cost_ms = { p50 = pct(0.5), p99 = pct(0.99), max = pct(1) },
  echo = E.echo, port = opts.port, wall_s = socket.gettime() - t0,
  orders = final.orders, orders_sent = final.orders_sent, dropped_orders = final.dropped_orders,
}
print("SUMMARY " .. json.encode(summary))
os.exit(0)
