--------------------------------------------------------------------------------
-- bench.lua: the widget's cost per game frame in the fake engine, beside dkjson.
--
--   lua5.1 tests/lua/bench.lua [--frames N] [--sizes 500,1000,2000,5000] [--detail D] [--budget MS]
--                              [--widget FILE --label NAME]   (another version of the widget, e.g. an older one)
--                              [--orders off,on]   (the widget's `orders` setting, each measured per size; default
--                                                   its own: auto, i.e. on at comprehensive detail only)
--   target/recoil-lua/recoil-lua tests/lua/bench.lua [same options]     (the engine's own Lua)
--   scripts/bench-lua                                                   (both, one table each)
--
-- For each unit count: a full-view spectator, 30 Hz standard detail (the defaults), a
-- LuaSocket server in this process reading everything. Measures every widget call-in
-- of each game frame (GameFrame + Update + unit call-ins, including the fake engine's
-- Spring calls made from inside them; the simulation itself is not counted), in CPU
-- time of this thread, with the garbage collector stopped during call-ins and run
-- between frames as the engine does (tests/lua/fake_engine.lua), so "KB/frame" is
-- exactly what the widget's call-ins allocate per game frame (collectgarbage("count")
-- deltas) and the collector's work is not in the times.
-- Reports p50/p99/max ms per frame, KB allocated per frame, bytes per second on the
-- wire, the slowest refresh rate of a moving unit (>= 5 times a second; an unchanged
-- unit is sent once in 5 game seconds), the cost of a full snapshot, and dkjson (Debian lua-dkjson) encoding the
-- SAME snapshots taken off the wire (decoded untimed, then encoded timed) as a plain
-- baseline. Prints a markdown table. Timing numbers are measurements, not assertions.
--------------------------------------------------------------------------------
-- This file's folder: the shared test code beside it is loaded from there.
local DIR = debug.getinfo(1, "S").source:sub(2):match("^(.*)/[^/]*$") or "."
local ROOT = DIR .. "/../.."
local RT = dofile(DIR .. "/runtime.lua")
local socket = RT.socket
local dkjson = RT.require("dkjson")
local FE = dofile(DIR .. "/fake_engine.lua")
local wire = RT.require("wire")
local cpuStart, cpuMs = RT.cpuStart, RT.cpuMs

-- throttling is off by default here so the table shows the full 6 Hz refresh cost (--budget 1.5 to see it act)
local frames, sizes, detail, budget = 600, { 500, 1000, 2000, 5000 }, "standard", 0
local widgetFile, label = ROOT .. "/widget/export_livedata.lua", nil
local ordersList = { false } -- false: the widget's default setting
local i = 1
while i <= #arg do
  if arg[i] == "--frames" then frames = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--sizes" then
    sizes = {}
    for n in arg[i + 1]:gmatch("%d+") do sizes[#sizes + 1] = tonumber(n) end
    i = i + 1
  elseif arg[i] == "--detail" then detail = arg[i + 1]; i = i + 1
  elseif arg[i] == "--budget" then budget = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--widget" then widgetFile = arg[i + 1]; i = i + 1
  elseif arg[i] == "--label" then label = arg[i + 1]; i = i + 1
  elseif arg[i] == "--orders" then
    ordersList = {}
    for o in arg[i + 1]:gmatch("[^,]+") do ordersList[#ordersList + 1] = o end
    i = i + 1
  end
  i = i + 1
end

local function pct(t, p)
  local s = {}
  for k = 1, #t do s[k] = t[k] end
  table.sort(s)
  if #s == 0 then return 0 end
  return s[math.min(#s, math.max(1, math.ceil(#s * p)))]
end

local function bench(n, orders)
  local srv = wire.server()
  local E = FE.new({ root = ROOT, units = n, view = "spectator", seed = 42, clock = "wall" })
  E:loadWidget(widgetFile, { port = srv.port, detail = detail, budgetMs = budget, orders = orders or nil }, true)
  E:initialize()
  -- lines are looked at as they arrive and not kept: a growing heap would slow the GC the widget pays for
  local measuring, snapIndex, lastFull = false, 0, nil
  local kib, counts, dk, first, last = 0, {}, {}, {}, {}
  local orderKib = 0
  srv.onLine = function(l)
    if measuring and l:find('"event":"orders"', 1, true) then orderKib = orderKib + (#l + 1) / 1024 end
    if not l:sub(1, 20):find("snapshot", 1, true) then return end
    if l:find('"units_full":true', 1, true) then lastFull = l end
    if not measuring then return end
    kib = kib + (#l + 1) / 1024 -- KiB: a byte count passes 2^24 (exact in 32-bit floats) within the run
    snapIndex = snapIndex + 1
    local gf = tonumber(l:match('"game_frame":(%d+)'))
    -- units only (1.1 production entries in the teams also start with an id)
    local u = l:find('"units":[', 1, true)
    for id in (u and l:sub(u) or ""):gmatch('{"id":(%d+)') do
      id = tonumber(id)
      counts[id] = (counts[id] or 0) + 1
      first[id] = first[id] or gf
      last[id] = gf
    end
    if snapIndex % 5 == 0 then
      -- dkjson on the same delta snapshot: decoded untimed, encoded timed
      local obj = dkjson.decode(l)
      local t = cpuStart()
      local s = dkjson.encode(obj)
      dk[#dk + 1] = cpuMs(t)
      assert(#s > 0)
    end
  end
  -- warm up: connect, first full snapshot
  for _ = 1, 60 do E:step(); srv:poll() end
  socket.sleep(0.05); srv:poll()
  local costs, allocs = {}, {}
  local ordersFrom, droppedFrom = E:status().orders_sent or 0, E:status().dropped_orders or 0
  measuring = true
  collectgarbage("collect")
  for f = 1, frames do
    costs[f] = E:step()
    allocs[f] = E.allocKB
    srv:poll()
  end
  socket.sleep(0.05); srv:poll()
  measuring = false
  local seconds = frames / 30
  local ordersSent = (E:status().orders_sent or 0) - ordersFrom
  local ordersDropped = (E:status().dropped_orders or 0) - droppedFrom
  -- a formation move: 1024 units (the widget's bound) each given its own position in one frame. Its cost is the
  -- frame of the call-ins plus the next one (the event is encoded and sent when the frame is over), over two
  -- frames of the same frozen game without orders; median of 5
  local burst
  if E:status().orders then
    E.frozen = true
    local extra = {}
    for rep = 1, 5 do
      local base = E:step(); srv:poll()
      base = base + E:step(); srv:poll()
      for k = 1, math.min(#E.order, 1024) do E:giveOrder({ E.order[k] }, 10, { k, rep, k }, 0, 0) end
      local c = E:step(); srv:poll()
      c = c + E:step(); srv:poll()
      extra[rep] = c - base
    end
    burst = pct(extra, 0.5)
    E.frozen = false
  end
  -- refresh rate of each moving unit over the time it was seen (units seen for at least 2 s): refreshes between
  -- its first and last appearance per second. A unit that does not change beyond the dead band is sent once in 5
  -- game seconds by design (SCHEMA.md, unit sets): only finished mobile units, which move all the time here, count.
  local minRefresh = math.huge
  for id, c in pairs(counts) do
    local span = (last[id] - first[id]) / 30
    local u = E.units[id]
    if span >= 2 and u and u.mobile and u.bp >= 1 and u.speed >= 1 then
      local hz = (c - 1) / span
      if hz < minRefresh then minRefresh = hz end
    end
  end
  -- full snapshots: the widget's (collect + encode) versus dkjson encoding the same one
  local fullCosts, dkFull = {}, {}
  for _ = 1, 10 do
    E:command("livedata detail minimal")
    E:step(); srv:poll()
    E:command("livedata detail " .. detail)
    lastFull = nil
    fullCosts[#fullCosts + 1] = E:step()
    socket.sleep(0.02); srv:poll()
    if lastFull then
      local obj = dkjson.decode(lastFull)
      local t = cpuStart()
      dkjson.encode(obj)
      dkFull[#dkFull + 1] = cpuMs(t)
    end
  end
  local st = E:status()
  E:shutdown()
  srv:close()
  local allocSum = 0
  for f = 1, #allocs do allocSum = allocSum + allocs[f] end
  return {
    n = n, p50 = pct(costs, 0.5), p99 = pct(costs, 0.99), max = pct(costs, 1), kibps = kib / seconds,
    alloc = allocSum / #allocs, alloc99 = pct(allocs, 0.99),
    refresh = minRefresh, dk50 = pct(dk, 0.5), dk99 = pct(dk, 0.99), full = pct(fullCosts, 0.5),
    dkfull = pct(dkFull, 0.5), throttled = st.throttled, dropped = st.dropped_total, errors = st.errors,
    orders = st.orders and "on" or "off", ordersps = ordersSent / seconds, droppedOrders = ordersDropped,
    orderKibps = orderKib / seconds, burst = burst,
  }
end

print(string.format("%s: widget CPU time per game frame, %d frames (%.0f s of game) per size, 30 Hz %s detail, full-view spectator, GC outside call-ins, throttle budget %s ms",
  RT.name, frames, frames / 30, detail, budget == 0 and "off" or tostring(budget)))
print(string.format("%s, %s, %d-bit numbers, dkjson %s; one core of this machine", _VERSION, socket._VERSION, RT.floatBits,
  dkjson.version))
print("")
print("| runtime | units | widget p50 ms | widget p99 ms | widget max ms | KB allocated per frame (mean / p99) | KiB/s on the wire | slowest refresh of a moving unit | dkjson encode of the same delta p50 / p99 ms | full snapshot: widget collect+encode ms | full snapshot: dkjson encode only ms | orders: decision points/s, KiB/s (dropped) | orders: a 1024-unit formation move, ms |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for _, n in ipairs(sizes) do
  for _, o in ipairs(ordersList) do
    local r = bench(n, o)
    print(string.format("| %s | %d | %.3f | %.3f | %.3f | %.1f / %.1f | %.0f | %.1f Hz | %.3f / %.3f | %.2f | %.2f | %s | %s |%s",
      RT.name .. (label and (" " .. label) or ""), r.n, r.p50, r.p99, r.max, r.alloc, r.alloc99, r.kibps, r.refresh, r.dk50, r.dk99, r.full, r.dkfull,
      r.orders == "on" and string.format("on: %.0f, %.0f (%d)", r.ordersps, r.orderKibps, r.droppedOrders) or "off",
      r.burst and string.format("%.2f", r.burst) or "-",
      (r.throttled or r.dropped > 0 or r.errors > 0) and string.format(" throttled=%s dropped=%d errors=%d", tostring(r.throttled), r.dropped, r.errors) or ""))
    io.stdout:flush()
  end
end
