--------------------------------------------------------------------------------
-- run_tests.lua: tests of widget/export_livedata.lua under real Lua 5.1 and under
-- the engine's own Lua (recoil-lua), each with its real LuaSocket, with a LuaSocket
-- server inside the test checking the wire output.
--
--   lua5.1 tests/lua/run_tests.lua [pattern]
--   target/recoil-lua/recoil-lua tests/lua/run_tests.lua [pattern]
--
-- Prints "N passed, N failed" last and exits non-zero on any failure.
--------------------------------------------------------------------------------
-- This file's folder: the shared test code beside it is loaded from there.
local DIR = debug.getinfo(1, "S").source:sub(2):match("^(.*)/[^/]*$") or "."
local ROOT = DIR .. "/../.."
local RT = dofile(DIR .. "/runtime.lua")
local socket = RT.socket
local clock = RT.clock
local FE = dofile(DIR .. "/fake_engine.lua")
local wire = RT.require("wire")
local WIDGET = ROOT .. "/widget/export_livedata.lua"

local tests = {}
-- only: the one runtime a test applies to (nil: both); the summary line counts the others as n/a, never silently
local function test(name, fn, only) tests[#tests + 1] = { name = name, fn = fn, only = only } end

local function check(cond, msg, ...)
  if not cond then error(string.format(msg or "check failed", ...), 2) end
end
local function eq(a, b, msg)
  if a ~= b then error(string.format("%s: expected %s, got %s", msg or "eq", tostring(b), tostring(a)), 2) end
end

-- a widget connected to an in-test server
local function setup(opts)
  opts = opts or {}
  local srv
  if not opts.noServer then srv = wire.server(opts.serverPort) end
  local port = srv and srv.port or opts.port
  local E = FE.new({ root = ROOT, units = opts.units or 150, view = opts.view or "spectator", seed = opts.seed,
                     names = opts.names, options = opts.options, noUnits = opts.noUnits,
                     virtualClock = opts.virtualClock, engine = opts.engine,
                     logOrders = opts.logOrders, handler = opts.handler, gcBudgetMs = 1 })
  if opts.before then opts.before(E) end
  -- Throttling off unless a test is about it (a test that counts refreshes wants the normal rate). The fake engine's
  -- clock is the test's: it moves one frame's time per step and by advanceClock, never with how busy the machine is.
  local cfg = { port = port, rate = opts.rate, detail = opts.detail, queueKB = opts.queueKB,
                budgetMs = opts.budgetMs or 0, orders = opts.orders }
  E:loadWidget(WIDGET, cfg, true)
  E:initialize()
  local ctx = { E = E, srv = srv, port = port }
  function ctx.run(n, each)
    for i = 1, n do
      -- the first frame whose call-ins all reach a connected widget (it connects in Update or Initialize)
      if not ctx.connectedFrom and not E.paused and E:status() and E:status().state == "connected" then
        ctx.connectedFrom = E.frame + 1
      end
      E:step()
      if ctx.srv then ctx.srv:poll() end
      if each then each(i) end
    end
  end
  -- waits for a real socket (the deadline is wall time); the widget's clock moves 10 ms a round
  function ctx.waitFor(cond, secs)
    local deadline = clock() + (secs or 3)
    while clock() < deadline do
      if cond() then return true end
      E:advanceClock(0.01)
      E:call("Update", 0.01)
      if ctx.srv then ctx.srv:poll() end
      socket.sleep(0.005)
    end
    return cond()
  end
  function ctx.reader(i)
    if ctx.srv then socket.sleep(0.005); ctx.srv:poll() end
    local c = ctx.srv.conns[i or #ctx.srv.conns]
    local r = wire.reader()
    for _, l in ipairs(c.lines) do r:apply(l) end
    return r, c
  end
  function ctx.close()
    if ctx.srv then ctx.srv:close() end
  end
  return ctx
end

local function noErrors(r)
  check(#r.errors == 0, "reader errors:\n%s", table.concat(r.errors, "\n"))
end

local function noWidgetErrors(E)
  local st = E:status()
  check(st, "WG.livedata missing")
  eq(st.errors, 0, "widget call-in errors (" .. table.concat(E.echo, " | ") .. ")")
end

-- what the wire keeps of a number: at most 3 decimals and 7 significant digits (plus the float rounding of both
-- sides under the engine's 32-bit Lua)
local function tol(v)
  return 0.0005 + math.abs(v) * 1e-6
end

-- compare the reader's unit set with the engine's view exactly (pos rounded to elmos)
local function compareTruth(r, E)
  local truth = E:truth()
  local n = 0
  for _, tu in ipairs(truth.units) do
    n = n + 1
    local u = r.units[tu.id]
    check(u, "unit %d missing from reader", tu.id)
    eq(u.team, tu.team, "team of " .. tu.id)
    if tu.def_id == nil then eq(u.def_id, wire.null, "def_id null of " .. tu.id)
    else eq(u.def_id, tu.def_id, "def of " .. tu.id) end
    for _, k in ipairs({ "x", "y", "z" }) do
      check(math.abs(u.pos[k] - tu.pos[k]) <= 0.5, "pos.%s of %d: %s vs %s", k, tu.id, u.pos[k], tu.pos[k])
    end
    if tu.health then
      check(u.health, "health of %d missing", tu.id)
      check(math.abs(u.health.current - tu.health.current) <= tol(tu.health.current), "health of %d: %s vs %s", tu.id,
        u.health.current, tu.health.current)
      eq(u.health.max, tu.health.max, "max health of " .. tu.id)
    else
      check(u.health == nil, "health of %d present outside LOS", tu.id)
    end
    if tu.build_progress then
      check(u.build_progress and math.abs(u.build_progress - tu.build_progress) <= 0.0005, "build_progress of %d", tu.id)
    else
      check(u.build_progress == nil, "build_progress of finished %d", tu.id)
    end
  end
  eq(r:unitCount(), n, "reader unit count")
  for _, tt in ipairs(truth.teams) do
    local t = r.teams[tt.team_id]
    check(t, "team %d missing", tt.team_id)
    for _, res in ipairs({ "metal", "energy" }) do
      if tt[res] then
        check(t[res], "team %d %s missing", tt.team_id, res)
        for _, k in ipairs({ "current", "income", "expense", "storage" }) do
          check(math.abs(t[res][k] - tt[res][k]) <= tol(tt[res][k]), "team %d %s.%s: %s vs %s", tt.team_id, res, k, t[res][k], tt[res][k])
        end
      else
        check(t[res] == nil, "team %d %s readable in this view", tt.team_id, res)
      end
    end
  end
  return n
end

-- freeze the sim and run enough frames for every unit to be refreshed
local function settle(ctx, frames)
  ctx.E.frozen = true
  -- enough for every unit to be sent again: an unchanged one within 5 game seconds and a refresh cycle (SCHEMA.md)
  ctx.run(frames or 185)
  ctx.waitFor(function() return ctx.E:status().queue_bytes == 0 end, 2)
  ctx.srv:poll()
end

--------------------------------------------------------------------------------
-- static checks
--------------------------------------------------------------------------------
test("every Spring.X and gl.X the widget calls is registered by the engine", function()
  local known = {}
  for l in io.lines(ROOT .. "/data/engine-lua-functions.txt") do known[l] = true end
  local src = assert(io.open(WIDGET)):read("*a")
  local n = 0
  for name in src:gmatch("Spring%.(%w+)") do
    n = n + 1
    check(known[name], "Spring.%s is not an engine function", name)
  end
  for name in src:gmatch("gl%.(%w+)") do
    check(known[name], "gl.%s is not an engine function", name)
  end
  check(n >= 25, "expected the widget to use the engine API, found %d calls", n)
  check(not src:find("IsPaused", 1, true), "Spring.IsPaused does not exist")
  check(not src:find("require%s*[%(\"']"), "no require in the engine")
  check(not src:find("%%q"), "%%q is not JSON escaping")
end)

test("luac5.1 listing: no SETGLOBAL, main chunk locals, only known globals read", function()
  local p = io.popen("luac5.1 -l -p " .. WIDGET .. " 2>&1")
  local listing = p:read("*a"); p:close()
  check(#listing > 1000, "luac5.1 listing failed: %s", listing:sub(1, 200))
  check(not listing:find("SETGLOBAL"), "SETGLOBAL in widget bytecode")
  -- Lua 5.1 refuses a chunk with more than 200 locals in one function: keep headroom in the main chunk
  local mainLocals = tonumber(listing:match("^%s*main <[^\n]*\n[^\n]-(%d+) locals"))
  check(mainLocals and mainLocals <= 185, "main chunk declares %s locals (limit 200, keep <= 185)", tostring(mainLocals))
  -- every global read is an engine global or a standard library name (catches use-before-declare of locals)
  local allowed = { widget = true, Spring = true, gl = true, Game = true, Engine = true, UnitDefs = true, WG = true, CMD = true,
    widgetHandler = true, socket = true, string = true, table = true, math = true, pairs = true, ipairs = true,
    pcall = true, type = true, tostring = true, tonumber = true, select = true, error = true, next = true,
    unpack = true, loadstring = true }
  for name in listing:gmatch("GETGLOBAL[^;]*; ([%w_]+)") do
    check(allowed[name], "reads unknown global '%s'", name)
  end
end, "lua5.1") -- the engine's Lua has no io.popen; the bytecode is the same under both

test("no globals: a strict load + call-ins leave _G untouched", function()
  local before = {}
  for k, v in pairs(_G) do before[k] = v end
  local ctx = setup({ units = 50 })
  ctx.run(40)
  ctx.E:command("livedata status")
  ctx.E:command("livedata rate 10")
  ctx.E:endGame()
  ctx.E:shutdown()
  ctx.close()
  for k, v in pairs(_G) do check(before[k] == v, "_G.%s changed", tostring(k)) end
  for k in pairs(before) do check(_G[k] ~= nil, "_G.%s removed", tostring(k)) end
  eq(#ctx.E.leaks, 0, "leaked names: " .. table.concat(ctx.E.leaks, ","))
end)

test("unit def categories derived from UnitDefs match bar-units.tsv for all 84 defs", function()
  local ctx = setup({ units = 10 })
  ctx.waitFor(function() return ctx.srv:last() and #ctx.srv:last().lines > 0 end)
  local r = ctx.reader()
  check(r.hello, "no hello")
  local defs = ctx.E.defs
  eq(#r.hello.unit_defs, #defs, "unit def count")
  eq(#defs, 84, "tsv rows")
  for _, d in ipairs(r.hello.unit_defs) do
    local ud = defs[d.def_id]
    eq(d.name, ud.name, "name")
    eq(d.category, ud._category, "category of " .. ud.name)
    eq(d.tech_level, tonumber(ud.customParams.techlevel) or 1, "tech level of " .. ud.name)
    eq(d.metal_cost, ud.metalCost, "metal cost of " .. ud.name)
  end
  ctx.close()
end)

test("golden files pass the test validator (validator agrees with SCHEMA.md examples)", function()
  local n = 0
  for _, name in ipairs({ "hello", "hello_token", "snapshot_full", "snapshot_delta", "snapshot_minimal", "snapshot_comprehensive",
                          "events", "bye", "hello_v1_1", "snapshot_v1_1", "events_v1_1", "hello_anonymous" }) do
    local f = ROOT .. "/tests/data/" .. name .. ".ndjson"
    for line in io.lines(f) do
      if #line > 0 then
        local m = assert(wire.decode(line))
        local e = wire.validate(m)
        check(e == nil, "%s: %s", f, tostring(e))
        n = n + 1
      end
    end
  end
  check(n >= 12, "golden lines: %d", n)
  -- and the validator rejects what the schema forbids
  check(wire.validate(assert(wire.decode('{"type":"snapshot","schema_version":"1.0","game_frame":1,"game_seconds":0,"is_paused":false,"teams":[],"units":[{"id":1,"def_id":1,"team":0,"pos":{"x":1.5,"y":0,"z":0}}]}'))), "fractional pos accepted")
  check(wire.validate(assert(wire.decode('{"type":"event","schema_version":"1.0","event":"nope","game_frame":1}'))), "unknown event accepted")
end)

--------------------------------------------------------------------------------
-- wire content
--------------------------------------------------------------------------------
test("hello first, then a full snapshot with seq 0; every line valid; numbers without noise", function()
  local ctx = setup({ units = 300 })
  ctx.run(90)
  local r, c = ctx.reader()
  noErrors(r)
  eq(r.msgs[1].type, "hello", "first line")
  eq(r.msgs[1].view.full_view, true, "spectator full view")
  eq(r.msgs[1].rate_hz, 30, "rate")
  eq(r.msgs[1].detail, "standard", "detail")
  eq(#r.msgs[1].teams, 4, "teams without Gaia")
  local snaps = {}
  for _, m in ipairs(r.msgs) do if m.type == "snapshot" then snaps[#snaps + 1] = m end end
  eq(snaps[1].seq, 0, "first seq")
  eq(snaps[1].units_full, true, "first snapshot full")
  for i = 2, #snaps do eq(snaps[i].seq, snaps[i - 1].seq + 1, "seq") end
  check(#snaps >= 85, "about one snapshot per frame at 30 Hz, got %d", #snaps)
  for i = 2, #snaps do eq(snaps[i].units_full, false, "later snapshots are deltas") end
  for _, l in ipairs(c.lines) do
    check(not l:find("[:,%[]%s*%-?[nN][aA][nN]") and not l:find("[:,%[]%s*%-?[iI][nN][fF]"), "nan/inf on the wire")
    -- every number token has at most 3 decimals and no exponent
    for tok in l:gmatch('[:,%[]%-?%d[%d%.eE%+%-]*') do
      local num = tok:sub(2)
      check(num:match("^%-?%d+$") or num:match("^%-?%d+%.%d%d?%d?$"), "number with noise: %s", num)
    end
  end
  check(r:unitCount() > 250, "unit set")
  noWidgetErrors(ctx.E)
  ctx.close()
end)

test("reader applying full+delta snapshots equals the engine exactly (spectator), after gifts, builds and deaths", function()
  local ctx = setup({ units = 400, seed = 7 })
  ctx.run(300)
  settle(ctx)
  local r = ctx.reader()
  noErrors(r)
  local n = compareTruth(r, ctx.E)
  check(n > 300, "units compared: %d", n)
  local destroyed, hidden = 0, 0
  for _, m in ipairs(r.msgs) do
    if m.destroyed then destroyed = destroyed + #m.destroyed end
    if m.hidden then hidden = hidden + #m.hidden end
  end
  check(destroyed > 10, "deaths reported as destroyed: %d", destroyed)
  eq(hidden, 0, "a full-view spectator hides nothing")
  noWidgetErrors(ctx.E)
  ctx.close()
end)

test("fog of war: a player gets own ally team + LOS/radar enemies, no enemy resources, blips without health", function()
  local ctx = setup({ units = 400, view = "player", seed = 3 })
  ctx.run(400)
  settle(ctx)
  local r = ctx.reader()
  noErrors(r)
  eq(r.hello.view.full_view, false, "player view")
  eq(r.hello.view.spectating, false, "player")
  eq(#r.hello.teams, 4, "hello lists all teams")
  compareTruth(r, ctx.E)
  for t = 2, 3 do
    check(r.teams[t] and r.teams[t].metal == nil and r.teams[t].energy == nil, "enemy %d resources", t)
  end
  check(r.teams[1].metal, "ally resources readable")
  local enemies, blips, nullDefs, hidden = 0, 0, 0, 0
  for _, u in pairs(r.units) do
    if u.team >= 2 then
      enemies = enemies + 1
      if u.health == nil then blips = blips + 1 end
      if u.def_id == wire.null then nullDefs = nullDefs + 1 end
    end
  end
  for _, m in ipairs(r.msgs) do if m.hidden then hidden = hidden + #m.hidden end end
  local total = 0
  for _ in pairs(ctx.E.units) do total = total + 1 end
  check(r:unitCount() < total, "player sees fewer units (%d) than exist (%d)", r:unitCount(), total)
  check(enemies > 0, "some enemies in view")
  check(blips > 0, "some radar blips without health")
  check(hidden > 0, "units leaving view reported as hidden")
  noWidgetErrors(ctx.E)
  ctx.close()
end)

test("every moving unit is sent at least 5 times per game second in delta snapshots", function()
  local ctx = setup({ units = 1000, seed = 5 })
  ctx.run(60)
  local r = ctx.reader()
  local first = #r.msgs
  local startPos = {}
  for id, u in pairs(ctx.E.units) do startPos[id] = { u.x, u.z } end
  ctx.run(30)
  r = ctx.reader()
  noErrors(r)
  local counts = {}
  for i = first + 1, #r.msgs do
    local m = r.msgs[i]
    if m.type == "snapshot" then
      check(m.units_full == false, "steady state uses deltas")
      for _, u in ipairs(m.units) do counts[u.id] = (counts[u.id] or 0) + 1 end
    end
  end
  -- finished units that moved at least 1 elmo a frame through the whole second (beyond the dead band in every
  -- refresh cycle of 5 frames)
  local moving, low = 0, 0
  for id, u in pairs(ctx.E.units) do
    local p = startPos[id]
    if p and not u.dead and u.bp >= 1 and u.mobile and u.speed >= 1 and id < 1100
      and math.abs(u.x - p[1]) + math.abs(u.z - p[2]) >= 28 * u.speed then
      moving = moving + 1
      if (counts[id] or 0) < 5 then low = low + 1 end
    end
  end
  check(moving > 200, "moving units: %d", moving)
  eq(low, 0, "moving units sent fewer than 5 times in one second")
  ctx.close()
end)

-- SCHEMA.md, unit sets: a unit unchanged within the dead band (4 elmos, 1% of its max health, 0.01 of build progress)
-- is not sent again, but at least once every 5 game seconds (and a refresh cycle); beyond it, within a cycle
test("cost follows change: unchanged units are sent once in 5 game seconds, changes within a refresh cycle", function()
  local reads = {}
  local ctx = setup({ units = 300, seed = 11, before = function(E)
    local gh = E.Spring.GetUnitHealth
    E.Spring.GetUnitHealth = function(id) reads[id] = (reads[id] or 0) + 1; return gh(id) end
  end })
  local E = ctx.E
  ctx.run(60)
  E.frozen = true -- nothing changes from here on
  ctx.run(10)
  local function sends(frames, each)
    local r = ctx.reader()
    local first = #r.msgs
    ctx.run(frames, each)
    r = ctx.reader()
    noErrors(r)
    local counts, at = {}, {}
    for i = first + 1, #r.msgs do
      local m = r.msgs[i]
      if m.type == "snapshot" then
        for _, u in ipairs(m.units) do counts[u.id] = (counts[u.id] or 0) + 1; at[u.id] = m.game_frame end
      end
    end
    return counts, at, r
  end
  -- 6 game seconds: every unit sent once or twice (the 5-second resend), not 36 times
  local counts, at, r = sends(180)
  local units, total, most = 0, 0, 0
  for _, tu in ipairs(E:truth().units) do
    units = units + 1
    local k = counts[tu.id] or 0
    check(k >= 1, "unit %d not sent in 6 game seconds", tu.id)
    total = total + k
    if k > most then most = k end
  end
  check(most <= 2, "an unchanged unit sent %d times in 6 s", most)
  check(total <= 2 * units, "sends: %d for %d units", total, units)
  compareTruth(r, E) -- and the reader is exact
  -- the finished mobile unit sent last (its next resend is due after the checks below): moved less than the band,
  -- then beyond it
  local id
  for _, tu in ipairs(E:truth().units) do
    local u = E.units[tu.id]
    if u.mobile and u.bp >= 1 and at[tu.id] and (not id or at[tu.id] > at[id]) then id = tu.id end
  end
  check(id and E.frame - at[id] <= 60, "a unit sent in the last 60 frames")
  local u = E.units[id]
  u.x = u.x + 3
  counts = sends(30)
  eq(counts[id], nil, "moved 3 elmos: not sent")
  u.x = u.x + 2
  counts = sends(6)
  eq(counts[id], 1, "moved 5 elmos from where it was sent: sent within a cycle")
  -- health: 0.5% of the max is within the band, 2% is not
  u.health = u.health - u.maxHealth * 0.005
  counts = sends(30)
  eq(counts[id], nil, "damaged by 0.5%: not sent")
  u.health = u.health - u.maxHealth * 0.02
  counts, at, r = sends(6)
  eq(counts[id], 1, "damaged by 2.5%: sent within a cycle")
  check(math.abs(r.units[id].health.current - u.health) <= tol(u.health), "its health")
  -- looked at: a structure unchanged at its last look once a second (the HUD walk reads an economy building's health
  -- once a second too), a mobile unit at the unit rate
  local living = E:truth().units
  for k in pairs(reads) do reads[k] = nil end
  ctx.run(60)
  local structures, mobiles = 0, 0
  for _, tu in ipairs(living) do
    local u = E.units[tu.id]
    if u.bp >= 1 and not u.mobile then
      structures = structures + 1
      check((reads[tu.id] or 0) <= 6, "structure %d read %d times in 2 s", tu.id, reads[tu.id] or 0)
    elseif u.bp >= 1 then
      mobiles = mobiles + 1
      check((reads[tu.id] or 0) >= 11, "mobile unit %d read %d times in 2 s", tu.id, reads[tu.id] or 0)
    end
  end
  check(structures > 10 and mobiles > 10, "structures %d, mobile units %d", structures, mobiles)
  ctx.close()
end)

-- SCHEMA.md, unit sets: a structure unchanged at its last look is looked at again within a game second, and the round
-- robin spreads those looks (and the moving units') evenly over the snapshots: a late game's many structures, all
-- looked at in the same snapshots, made those snapshots the costliest. The test's clock: the fake engine's frames.
test("structures are looked at within every game second, a share of them in each snapshot; changes sent within it", function()
  local reads, frameOf = {}, nil
  local ctx = setup({ units = 400, seed = 5, before = function(E)
    E.Spring.GetTeamUnitsByDefs = nil -- no HUD walk: its reads of economy buildings would count too
    local gh = E.Spring.GetUnitHealth
    E.Spring.GetUnitHealth = function(id)
      if frameOf then
        local r = reads[id]
        if not r then r = {}; reads[id] = r end
        r[#r + 1] = frameOf
      end
      return gh(id)
    end
  end })
  local E = ctx.E
  ctx.run(60)
  E.frozen = true -- nothing changes from here on
  ctx.run(40)     -- every structure found unchanged at a look
  local from = E.frame + 1
  frameOf = from
  ctx.run(90, function() frameOf = E.frame + 1 end)
  frameOf = nil
  local to = E.frame
  local structures, mobiles, perFrame, mobPerFrame = 0, 0, {}, {}
  for _, tu in ipairs(E:truth().units) do
    local u = E.units[tu.id]
    local r = reads[tu.id] or {}
    if u.bp >= 1 and not u.mobile then
      structures = structures + 1
      -- never 30 frames (a game second) or more without a look
      local last = from - 1
      for _, f in ipairs(r) do
        check(f - last <= 30, "structure %d: no look in frames %d..%d", tu.id, last + 1, f - 1)
        last = f
        perFrame[f] = (perFrame[f] or 0) + 1
      end
      check(to - last < 30, "structure %d: no look after frame %d (to %d)", tu.id, last, to)
      check(#r <= 4 * 2, "structure %d looked at %d times in 3 s", tu.id, #r)
    elseif u.bp >= 1 then
      mobiles = mobiles + 1
      for _, f in ipairs(r) do mobPerFrame[f] = (mobPerFrame[f] or 0) + 1 end
    end
  end
  check(structures >= 60 and mobiles >= 60, "structures %d, mobile units %d", structures, mobiles)
  -- evenly: every frame looks at about structures/30 of them and mobiles/5 of those (the round robin's share plus
  -- one per ring), never a burst of all
  local sShare, mShare = math.ceil(structures / 30), math.ceil(mobiles / 5)
  for f = from, to do
    check((perFrame[f] or 0) <= 2 * sShare + 2, "frame %d looked at %d structures (share %d)", f, perFrame[f] or 0,
      sShare)
    check((perFrame[f] or 0) >= 1, "frame %d looked at no structure", f)
    check((mobPerFrame[f] or 0) <= mShare * 3 / 2 + 2 and (mobPerFrame[f] or 0) >= mShare / 2,
      "frame %d looked at %d mobile units (share %d)", f, mobPerFrame[f] or 0, mShare)
  end
  -- a change to a structure reaches the reader within a game second
  local sid
  for _, tu in ipairs(E:truth().units) do
    local u = E.units[tu.id]
    if u.bp >= 1 and not u.mobile and u.health > u.maxHealth * 0.5 then sid = tu.id; break end
  end
  check(sid, "a healthy structure")
  local u = E.units[sid]
  u.health = u.health - u.maxHealth * 0.2
  local r = ctx.reader()
  local first = #r.msgs
  ctx.run(30)
  r = ctx.reader()
  noErrors(r)
  local sent = 0
  for i = first + 1, #r.msgs do
    local m = r.msgs[i]
    if m.type == "snapshot" then
      for _, su in ipairs(m.units) do if su.id == sid then sent = sent + 1 end end
    end
  end
  eq(sent, 1, "a structure damaged by 20% sent within a game second")
  check(math.abs(r.units[sid].health.current - u.health) <= tol(u.health), "its health")
  compareTruth(r, E)
  ctx.close()
end)

-- a unit that is not dying (the fake engine, like the real one, keeps dying units listed for two frames)
local function livingUnit(E, from)
  for i = from or 1, #E.order do
    local id = E.order[i]
    if not E.units[id].dead then return id end
  end
end

test("units created or destroyed appear in the very next snapshot (call-ins between GetAllUnits scans)", function()
  local ctx = setup({ units = 300 })
  ctx.run(20)
  local created, killed = {}, {}
  for i = 1, 10 do
    local id = ctx.E:spawn(0, nil, false)
    local victim = livingUnit(ctx.E, 5)
    ctx.E:kill(victim)
    created[i], killed[i] = id, victim
    ctx.E:step()
  end
  local r = ctx.reader()
  noErrors(r)
  local snaps = {}
  for _, m in ipairs(r.msgs) do if m.type == "snapshot" then snaps[#snaps + 1] = m end end
  for i = 1, 10 do
    local m = snaps[#snaps - 10 + i]
    local found = false
    for _, u in ipairs(m.units) do if u.id == created[i] then found = true end end
    check(found, "unit %d created before frame %d is in that frame's snapshot", created[i], m.game_frame)
    local gone = false
    for _, id in ipairs(m.destroyed or {}) do if id == killed[i] then gone = true end end
    check(gone, "unit %d killed before frame %d is in that frame's destroyed list", killed[i], m.game_frame)
  end
  ctx.close()
end)

test("dying units stay listed two frames with GetUnitIsDead (as in Spring 106): destroyed once, never sent again", function()
  local ctx = setup({ units = 300, seed = 11 })
  local E, S = ctx.E, ctx.E.Spring
  ctx.run(30)
  -- the fake engine behaves like the real one
  local victim = livingUnit(E)
  local function listed(id)
    for _, u in ipairs(S.GetAllUnits()) do if u == id then return true end end
    return false
  end
  E:kill(victim)
  eq(S.GetUnitIsDead(victim), true, "GetUnitIsDead of a dying unit")
  check(S.GetUnitHealth(victim) <= 0, "a dying unit's health is <= 0")
  ctx.run(1)
  check(listed(victim), "listed in the frame after its death")
  ctx.run(1)
  check(listed(victim), "listed two frames after its death")
  ctx.run(1)
  check(not listed(victim) and S.GetUnitIsDead(victim) == nil, "gone three frames after its death")
  -- many deaths, with full scans (every 5 snapshots) while the dead are still listed
  ctx.run(400)
  settle(ctx)
  local r = ctx.reader()
  noErrors(r)
  compareTruth(r, E)
  local gone, sentAfter, twice = {}, {}, 0
  for _, m in ipairs(r.msgs) do
    if m.type == "snapshot" then
      for _, u in ipairs(m.units or {}) do
        if gone[u.id] then sentAfter[#sentAfter + 1] = u.id .. "@" .. m.game_frame end
      end
      for _, id in ipairs(m.destroyed or {}) do
        if gone[id] then twice = twice + 1 end
        gone[id] = m.game_frame
      end
      eq(#(m.hidden or {}), 0, "a full-view spectator hides nothing (a death left as hidden)")
    end
  end
  eq(#sentAfter, 0, "units sent after destroyed: " .. table.concat(sentAfter, " "))
  eq(twice, 0, "deaths reported twice")
  local missed = 0
  for _, id in ipairs(E.deaths) do if not gone[id] then missed = missed + 1 end end
  check(#E.deaths > 50, "deaths: %d", #E.deaths)
  eq(missed, 0, "deaths never reported as destroyed (of " .. #E.deaths .. ")")
  noWidgetErrors(E)
  ctx.close()
end)

-- A full-view spectator gets every unit call-in; its GetAllUnits scan (once a game second, gone through a slice a
-- snapshot: the whole list in one frame made that frame the costliest) only catches what the call-ins missed
test("full view: units that appear or vanish without a call-in are caught by the scan within two game seconds", function()
  local calls = 0
  local ctx = setup({ units = 300, seed = 7, before = function(E)
    local ga = E.Spring.GetAllUnits
    E.Spring.GetAllUnits = function(...) calls = calls + 1; return ga(...) end
  end })
  local E = ctx.E
  ctx.run(60)
  E.frozen = true
  local added, gone = {}, {}
  for i = 1, 5 do
    local n = #E.callins
    added[i] = E:spawn(i % 2, nil, true)
    for k = #E.callins, n + 1, -1 do E.callins[k] = nil end -- no UnitCreated, no UnitFinished
  end
  local from = 1
  while #gone < 5 do
    local id = livingUnit(E, from)
    local d = E.defs[E.units[id].def]
    if not (d.isBuilder or d.isFactory or E.units[id].builtBy or E.units[id].building) then
      E:remove(id) -- no UnitDestroyed
      E.count = E.count - 1
      gone[#gone + 1] = id
    end
    from = (E.index[id] or from) + 1
  end
  calls = 0
  ctx.run(60)
  check(calls >= 1 and calls <= 3, "GetAllUnits called %d times in 2 game seconds", calls)
  local r = ctx.reader()
  noErrors(r)
  for _, id in ipairs(added) do check(r.units[id], "unit %d (no call-in) in the reader's set", id) end
  for _, id in ipairs(gone) do check(not r.units[id], "unit %d (gone without a call-in) still in the reader's set", id) end
  -- the same set as the engine's (values may differ within the dead band: see SCHEMA.md)
  local n, m = 0, 0
  for _, tu in ipairs(E:truth().units) do
    n = n + 1
    check(r.units[tu.id], "unit %d missing from reader", tu.id)
  end
  for _ in pairs(r.units) do m = m + 1 end
  eq(m, n, "units in the reader's set")
  ctx.close()
end)

test("hostile strings: quotes, backslashes, control chars and non-ASCII arrive intact", function()
  local ctx = setup({ units = 20, names = "hostile" })
  ctx.run(5)
  local r, c = ctx.reader()
  noErrors(r)
  for _, t in ipairs(r.hello.teams) do
    eq(t.name, ctx.E.teams[t.team_id].name, "name of team " .. t.team_id)
  end
  local hello = c.lines[1]
  check(hello:find('\\u0001', 1, true) and hello:find('\\u001f', 1, true) and hello:find('\\t', 1, true), "control chars escaped")
  check(hello:find("Zoë 漢字 ☃ 😀", 1, true), "UTF-8 passed through unescaped")
  for i = 1, #hello do
    local b = hello:byte(i)
    check(b >= 32 and b ~= 127, "raw control byte %d on the wire", b)
  end
  ctx.close()
end)

test("NaN, inf and positions beyond any map from the engine never reach the wire", function()
  local ctx = setup({ units = 50, before = function(E)
    local gh, gr, gp = E.Spring.GetUnitHealth, E.Spring.GetTeamResources, E.Spring.GetUnitPosition
    E.Spring.GetUnitPosition = function(id)
      local x, y, z = gp(id)
      if x and id % 10 == 5 then return math.huge, y, z end
      if x and id % 10 == 6 then return x, y, -math.huge end
      if x and id % 10 == 7 then return 3e9, y, z end -- floor() of it is -2147483648 in the engine
      return x, y, z
    end
    E.Spring.GetUnitHealth = function(id)
      local h, m, p, c, bp = gh(id)
      if h and id % 3 == 0 then return 0 / 0, m, p, c, bp end
      if h and id % 3 == 1 then return h, math.huge, p, c, bp end
      return h, m, p, c, bp
    end
    E.Spring.GetTeamResources = function(t, res)
      local a, b, c, d, e, f, g, h, i = gr(t, res)
      if a and t == 1 then return a, b, c, 0 / 0, -math.huge, f, g, h, i end
      return a, b, c, d, e, f, g, h, i
    end
  end })
  ctx.run(30)
  local r, c = ctx.reader()
  noErrors(r)
  for _, l in ipairs(c.lines) do
    check(not l:find("[:,%[]%s*%-?[nN][aA][nN]") and not l:find("[:,%[]%s*%-?[iI][nN][fF]"), "non-finite on the wire")
  end
  check(r:unitCount() > 30, "units still sent: %d", r:unitCount())
  for id in pairs(r.units) do check(id % 10 < 5 or id % 10 > 7, "unit %d with an infinite or huge position sent", id) end
  noWidgetErrors(ctx.E)
  ctx.close()
end)

-- The same text on the wire under both runtimes: in the engine's Lua numbers are 32-bit floats, math.floor casts to
-- a 32-bit int and %d to a C long, and digits past the 7th are noise.
local NUMBER_CASES = {
  { 0.1, "0.1" }, { 1 / 3, "0.333" }, { 2.9999999, "3" }, { 1e-7, "0" }, { 1450.5, "1450.5" }, { 313.4, "313.4" },
  { -0.0004, "0" }, { 387.935486, "387.935" }, { 1234.5678, "1234.568" }, { 123456.7, "123456.7" },
  { 2147483.5, "2147484" }, { 2500004.25, "2500004" }, { -2500004.25, "-2500004" }, { 9999999.9, "10000000" },
  { 16777217, "16777220" }, { 99999999, "100000000" }, { 123456789, "123456800" }, { 3e9, "3000000000" },
  { 1e14, "100000000000000" }, { -4.5e9, "-4500000000" },
}

test("number formatting: integers as integers, at most 3 decimals and 7 significant digits, same on both runtimes", function()
  local ctx = setup({ units = 0, noUnits = true, before = function(E)
    -- one unit per case, health current = the case's value; team 0's metal current = 2500004.25
    for i = 1, #NUMBER_CASES do
      local id = E:spawn(0, nil, true)
      E.units[id].case = i
    end
    local gh, gr = E.Spring.GetUnitHealth, E.Spring.GetTeamResources
    E.Spring.GetUnitHealth = function(id)
      local h, m, p, c, bp = gh(id)
      local u = E.units[id]
      if h and u.case then return NUMBER_CASES[u.case][1], m, p, c, bp end
      return h, m, p, c, bp
    end
    E.Spring.GetTeamResources = function(t, res)
      local a, b, c, d, e, f, g, h, i = gr(t, res)
      if a and t == 0 and res == "metal" then return 2500004.25, 3e9, c, 1e14, d, f, g, h, i end
      return a, b, c, d, e, f, g, h, i
    end
  end })
  ctx.E.frozen = true
  ctx.run(3)
  ctx.E:setPaused(true, 3e9) -- a player id through int()
  ctx.run(2)
  local r, c = ctx.reader()
  noErrors(r)
  local got = {}
  for _, l in ipairs(c.lines) do
    for id, v in l:gmatch('{"id":(%d+),[^{]*{[^}]*}[^{]*{"current":([^,]+),') do got[tonumber(id)] = v end
  end
  local n = 0
  for id, u in pairs(ctx.E.units) do
    if u.case then
      n = n + 1
      eq(got[id], NUMBER_CASES[u.case][2], "health " .. tostring(NUMBER_CASES[u.case][1]))
    end
  end
  eq(n, #NUMBER_CASES, "cases on the wire")
  local all = table.concat(c.lines, "\n")
  check(all:find('"metal":{"current":2500004,"income":100000000000000,"expense":', 1, true), "resources: %s",
    all:match('"metal":{[^}]*}') or "none")
  check(all:find('"storage":3000000000', 1, true), "storage 3e9")
  check(all:find('"event":"paused","player_id":3000000000', 1, true), "player id 3e9 (int): %s",
    all:match('"event":"paused"[^}]*') or "no paused event")
  ctx.close()
end)

--------------------------------------------------------------------------------
-- detail, rate, commands, settings
--------------------------------------------------------------------------------
test("detail levels: minimal has no units, comprehensive adds vel/experience/build_progress", function()
  local ctx = setup({ units = 80, detail = "minimal" })
  ctx.run(10)
  local r = ctx.reader()
  noErrors(r)
  eq(r.hello.detail, "minimal", "hello detail")
  for _, m in ipairs(r.msgs) do if m.type == "snapshot" then check(m.units == nil, "units at minimal") end end
  ctx.E:command("livedata detail comprehensive")
  ctx.run(10)
  r = ctx.reader()
  noErrors(r)
  local last = r.last
  eq(last.detail, "comprehensive", "snapshot detail")
  local first
  for _, m in ipairs(r.msgs) do if m.type == "snapshot" and m.detail == "comprehensive" then first = first or m end end
  eq(first.units_full, true, "first snapshot after a detail change is full")
  local withVel = 0
  for _, u in ipairs(first.units) do
    if u.vel then withVel = withVel + 1 end
    if u.health then check(u.build_progress ~= nil and u.experience ~= nil, "comprehensive fields") end
  end
  check(withVel > 0, "vel present")
  ctx.E:command("livedata detail bogus")
  eq(ctx.E:status().detail, "comprehensive", "bad detail ignored")
  ctx.close()
end)

test("rate command: 10 Hz sends a snapshot every 3 frames and still refreshes every unit", function()
  local ctx = setup({ units = 200 })
  ctx.E:command("livedata rate 10")
  ctx.run(60)
  local r = ctx.reader()
  noErrors(r)
  local n = 0
  for _, m in ipairs(r.msgs) do if m.type == "snapshot" then n = n + 1 end end
  check(n >= 19 and n <= 21, "snapshots in 60 frames at 10 Hz: %d", n)
  ctx.E:command("livedata rate 99")
  eq(ctx.E:status().rate, 30, "rate clamped")
  ctx.E:command("livedata rate 0")
  eq(ctx.E:status().rate, 1, "rate clamped low")
  ctx.E:command("livedata rate 1e10") -- clamped before floor: floor(1e10) is -2147483648 in the engine
  eq(ctx.E:status().rate, 30, "rate 1e10 clamped")
  ctx.close()
end)

test("config persists through GetConfigData/SetConfigData; junk is ignored", function()
  local ctx = setup({ units = 10 })
  ctx.E:command("livedata rate 12")
  ctx.E:command("livedata detail minimal")
  ctx.E:command("livedata hide")
  local cfg = ctx.E.widget:GetConfigData()
  eq(cfg.rate, 12, "rate saved"); eq(cfg.detail, "minimal", "detail saved"); eq(cfg.showStatus, false, "status hidden saved")
  eq(cfg.port, ctx.port, "port saved"); eq(cfg.host, "127.0.0.1", "host saved"); eq(cfg.enabled, true, "enabled saved")
  ctx.E:shutdown()
  ctx.close()
  local E2 = FE.new({ root = ROOT, units = 5 })
  local w = E2:loadWidget(WIDGET, nil, true)
  w:SetConfigData(cfg)
  w:SetConfigData({ rate = "fast", detail = 7, host = "evil.example.com", port = 99999, enabled = "yes" })
  E2:initialize()
  local st = E2:status()
  eq(st.rate, 12, "rate restored"); eq(st.detail, "minimal", "detail restored"); eq(st.port, ctx.port, "port kept")
  eq(st.host, "127.0.0.1", "hostname rejected (no DNS in game)")
  E2:shutdown()
end)

test("token: /livedata token T reconnects with T in the hello, persists through GetConfigData, is never echoed", function()
  local SECRET = 'k"e\\y-42'  -- a quote and a backslash: the hello must carry it as a JSON string, exactly
  local ctx = setup({ units = 10 })
  ctx.run(5)
  local r = ctx.reader(1)
  noErrors(r)
  check(r.msgs[1] and r.msgs[1].type == "hello", "hello first")
  eq(r.msgs[1].token, nil, "no token in the hello by default")
  ctx.E:command("livedata token " .. SECRET)
  check(ctx.waitFor(function() return #ctx.srv.conns == 2 and #ctx.srv.conns[2].lines > 0 end), "reconnected with the token")
  ctx.run(5)
  local r2 = ctx.reader(2)
  noErrors(r2)
  local hello = wire.decode(ctx.srv.conns[2].lines[1])
  eq(hello.type, "hello", "hello first on the new connection")
  eq(hello.token, SECRET, "token in the hello")
  -- nowhere else: not in the console, the status command's line, the on-screen text or any other line on the wire
  ctx.E:command("livedata status")
  for _, l in ipairs(ctx.E.echo) do check(not l:find(SECRET, 1, true), "token echoed: %s", l) end
  check(not tostring(ctx.E.glCalls.last):find(SECRET, 1, true), "token on screen")
  local st = ctx.E:status()
  for k, v in pairs(st) do check(not tostring(v):find(SECRET, 1, true), "token in WG.livedata.status().%s", k) end
  for i = 2, #ctx.srv.conns[2].lines do
    check(not ctx.srv.conns[2].lines[i]:find("k\\\"e\\\\y-42", 1, true), "token in line %d: %s", i, ctx.srv.conns[2].lines[i])
  end
  -- saved with the other settings, and a restarted widget sends it again
  local cfg = ctx.E.widget:GetConfigData()
  eq(cfg.token, SECRET, "token saved")
  ctx.E:shutdown()
  local E2 = FE.new({ root = ROOT, units = 5 })
  local w = E2:loadWidget(WIDGET, nil, true)
  w:SetConfigData(cfg)
  E2:initialize()
  local ok = ctx.waitFor(function() E2:call("Update", 0.01); return #ctx.srv.conns == 3 and #ctx.srv.conns[3].lines > 0 end)
  check(ok, "restored widget connected")
  eq(wire.decode(ctx.srv.conns[3].lines[1]).token, SECRET, "restored token in the hello")
  -- "none" clears it (saved as ""); a token is cut at 256 bytes; junk in the saved settings is ignored
  E2:command("livedata token none")
  ok = ctx.waitFor(function() E2:call("Update", 0.01); return #ctx.srv.conns == 4 and #ctx.srv.conns[4].lines > 0 end)
  check(ok, "reconnected without the token")
  local h4 = wire.decode(ctx.srv.conns[4].lines[1])
  eq(h4.type, "hello", "hello after clearing")
  eq(h4.token, nil, "no token after /livedata token none")
  eq(E2.widget:GetConfigData().token, "", "cleared token saved")
  E2:command("livedata token " .. string.rep("t", 300))
  eq(#E2.widget:GetConfigData().token, 256, "token cut at 256 bytes")
  E2.widget:SetConfigData({ token = 42 })
  eq(#E2.widget:GetConfigData().token, 256, "a non-string token is ignored")
  noWidgetErrors(E2)
  E2:shutdown()
  ctx.close()
end)

test("console commands: status, disconnect (bye, off), connect, port change reconnects", function()
  local ctx = setup({ units = 20 })
  check(ctx.E.actions.livedata, "action registered")
  ctx.run(5)
  ctx.E:command("livedata status")
  check(ctx.E.echo[#ctx.E.echo]:find("connected to 127.0.0.1:" .. ctx.port, 1, true), "status echo: %s", ctx.E.echo[#ctx.E.echo])
  ctx.E:command("livedata disconnect")
  ctx.waitFor(function() return ctx.srv:last().closed end)
  local r = ctx.reader(1)
  check(r.bye and r.bye.reason == "disabled", "bye on disconnect")
  eq(ctx.E:status().state, "off", "state off")
  ctx.run(30)
  eq(#ctx.srv.conns, 1, "no reconnect while off")
  ctx.E:command("livedata connect")
  check(ctx.waitFor(function() return #ctx.srv.conns == 2 end), "reconnected on connect")
  local srv2 = wire.server()
  ctx.E:command("livedata port " .. srv2.port)
  local ok = ctx.waitFor(function() srv2:poll(); return #srv2.conns == 1 and #srv2.conns[1].lines > 0 end)
  check(ok, "connected to the new port")
  check(wire.decode(srv2.conns[1].lines[1]).type == "hello", "hello on the new port")
  ctx.E:command("livedata host example.com")
  eq(ctx.E:status().host, "127.0.0.1", "hostname rejected")
  ctx.E:command("livedata frobnicate")
  check(ctx.E.echo[#ctx.E.echo]:find("usage", 1, true), "usage shown")
  srv2:close()
  ctx.close()
end)

test("settings menu entries via WG['options'] added on Initialize (shown without advanced settings), removed on Shutdown", function()
  local ctx = setup({ units = 5 })
  local n = 0
  for _, o in pairs(ctx.E.options) do
    n = n + 1
    check(o.widgetname and o.name and o.type and o.onchange, "option fields")
  end
  eq(n, 5, "options added")
  for id in pairs(ctx.E.options) do
    check(ctx.E.WG.options.isShown(id, false), "option %s hidden unless advanced settings are on", id)
  end
  ctx.E.options.livedata_rate.onchange(1, 5)
  eq(ctx.E:status().rate, 5, "slider changes rate")
  ctx.E.options.livedata_detail.onchange(1, 1)
  eq(ctx.E:status().detail, "minimal", "select changes detail")
  ctx.E:shutdown()
  eq(next(ctx.E.options), nil, "options removed")
  eq(ctx.E.actions.livedata, nil, "action removed")
  eq(ctx.E.WG.livedata, nil, "WG entry removed")
  ctx.close()
  -- without WG['options'] nothing breaks
  local ctx2 = setup({ units = 5, options = false })
  ctx2.run(3)
  noWidgetErrors(ctx2.E)
  ctx2.close()
end)

test("on-screen status text drawn with gl.Text, hidden with /livedata hide", function()
  local ctx = setup({ units = 5 })
  ctx.run(3)
  check(ctx.E.glCalls.text > 0, "status drawn")
  check(ctx.E.glCalls.last:find("connected", 1, true), "status text: %s", tostring(ctx.E.glCalls.last))
  ctx.E:command("livedata hide")
  local n = ctx.E.glCalls.text
  ctx.run(3)
  eq(ctx.E.glCalls.text, n, "hidden")
  ctx.close()
end)

--------------------------------------------------------------------------------
-- game events
--------------------------------------------------------------------------------
local function eventsOf(r, kind)
  local out = {}
  for _, e in ipairs(r.events) do if e.event == kind then out[#out + 1] = e end end
  return out
end

-- A machine too busy to run a sim frame in a second: Update goes on, GameFrame does not. The 1 Hz heartbeat must not
-- send the last frame again: read after the frame's sim step, its teams' totals differ from the GameFrame snapshot of
-- the same frame number (the real-engine player test caught a reader applying the later copy).
test("a stalled game sends no frame twice; the heartbeat waits for a new frame", function()
  local ctx = setup({ units = 50 })
  ctx.waitFor(function() return ctx.srv:last() ~= nil end)
  ctx.run(40)
  for _ = 1, 30 do
    ctx.E:advanceClock(0.1)
    ctx.E:call("Update", 0.1)
  end
  ctx.run(5)
  local r = ctx.reader()
  noErrors(r)
  local sent, n = {}, 0
  for _, m in ipairs(r.msgs) do
    if m.type == "snapshot" then
      check(not sent[m.game_frame], "frame %d sent twice while the game ran", m.game_frame)
      sent[m.game_frame] = true
      n = n + 1
    end
  end
  check(n >= 40, "snapshots: %d", n)
  ctx.close()
end)

test("game start, pause/unpause (call-in and GetGameSpeed), team died, game over with derived winners, bye", function()
  local ctx = setup({ units = 100, before = function(E) E.frame = 0 end })
  ctx.waitFor(function() return ctx.srv:last() ~= nil end)
  ctx.run(40)
  eq(#eventsOf(ctx.reader(), "game_start"), 1, "game_start")
  ctx.E:setPaused(true, 2)
  ctx.run(3)
  ctx.E:advanceClock(1) -- paused: the widget keeps the reader informed once a second
  ctx.waitFor(function()
    local r = ctx.reader()
    return r.last and r.last.is_paused == true
  end, 2)
  local r = ctx.reader()
  local p = eventsOf(r, "paused")
  eq(#p, 1, "paused event")
  eq(p[1].player_id, 2, "who paused")
  eq(r.last.is_paused, true, "heartbeat snapshot while paused says so")
  -- pause noticed from GetGameSpeed alone (no call-in, e.g. a replay)
  ctx.E.paused = false
  ctx.run(2)
  eq(#eventsOf(ctx.reader(), "unpaused"), 1, "unpaused via GetGameSpeed")
  ctx.E:killTeam(3)
  ctx.E:killTeam(2)
  ctx.run(5)
  r = ctx.reader()
  local died = eventsOf(r, "team_died")
  eq(#died, 2, "team_died events")
  eq(died[1].team_id, 3, "team 3 died first")
  for _, u in pairs(r.units) do check(u.team < 2, "dead team's units gone") end
  for _, t in ipairs(r.last.teams) do check(t.team_id ~= 4, "Gaia never listed") end
  local t3
  for _, t in ipairs(r.last.teams) do if t.team_id == 3 then t3 = t end end
  eq(t3.is_dead, true, "is_dead in snapshot")
  ctx.E:endGame()
  ctx.E:shutdown()
  ctx.waitFor(function() return ctx.srv:last().closed end)
  r = ctx.reader()
  local go = eventsOf(r, "game_over")
  eq(#go, 1, "game_over")
  eq(#go[1].winners, 1, "one winner"); eq(go[1].winners[1], 0, "ally team 0 won")
  check(r.bye and r.bye.reason == "game_over", "bye after game over")
  noErrors(r)
  ctx.close()
end)

test("spectator switching view: view_changed event, then a full snapshot from the new eyes", function()
  local ctx = setup({ units = 400, seed = 11 })
  ctx.run(60)
  ctx.E:setView(2, false)
  ctx.run(200)
  settle(ctx)
  local r = ctx.reader()
  noErrors(r)
  local vc = eventsOf(r, "view_changed")
  eq(#vc, 1, "view_changed")
  eq(vc[1].view.team_id, 2, "new team"); eq(vc[1].view.full_view, false, "no full view")
  -- the snapshot right after the event is full
  local idx
  for i, m in ipairs(r.msgs) do if m == vc[1] then idx = i end end
  local nextSnap
  for i = idx + 1, #r.msgs do if r.msgs[i].type == "snapshot" then nextSnap = r.msgs[i]; break end end
  eq(nextSnap.units_full, true, "full snapshot after view change")
  compareTruth(r, ctx.E)
  check(r.teams[0].metal == nil, "the other side's resources are unreadable now")
  check(r.teams[2].metal ~= nil, "own side readable")
  ctx.close()
end)

test("replay: hello says is_replay and spectating", function()
  local ctx = setup({ units = 30, view = "replay" })
  ctx.run(3)
  local r = ctx.reader()
  eq(r.hello.is_replay, true, "is_replay"); eq(r.hello.view.spectating, true, "spectating")
  ctx.close()
end)

test("a game with no units works (empty full snapshot, then deltas)", function()
  local ctx = setup({ units = 0, noUnits = true })
  ctx.run(20)
  local r = ctx.reader()
  noErrors(r)
  eq(r:unitCount(), 0, "no units")
  check(r.snapshots >= 19, "snapshots sent: %d", r.snapshots)
  noWidgetErrors(ctx.E)
  ctx.close()
end)

test("game frame beyond one day: GetGameFrame's days are added", function()
  local ctx = setup({ units = 5, before = function(E) E.frame = 30 * 86400 + 5 end })
  ctx.run(3)
  local r = ctx.reader()
  eq(r.last.game_frame, 30 * 86400 + 8, "frame")
  ctx.close()
end)

--------------------------------------------------------------------------------
-- robustness: errors, socket failures, slow reader, throttling
--------------------------------------------------------------------------------
test("an engine error inside a call-in is caught: widget keeps running, next snapshot is full", function()
  local boom = false
  local ctx = setup({ units = 100, before = function(E)
    local gp = E.Spring.GetUnitPosition
    E.Spring.GetUnitPosition = function(id)
      if boom then error("engine exploded") end
      return gp(id)
    end
  end })
  ctx.run(10)
  boom = true
  ctx.run(3)
  boom = false
  ctx.run(10)
  local st = ctx.E:status()
  check(st.errors > 0, "errors counted")
  eq(st.state, "connected", "still connected")
  check(ctx.E.echo[#ctx.E.echo]:find("engine exploded", 1, true) or table.concat(ctx.E.echo, "|"):find("engine exploded", 1, true), "error logged")
  local r = ctx.reader()
  noErrors(r)
  local fulls = 0
  for _, m in ipairs(r.msgs) do if m.type == "snapshot" and m.units_full then fulls = fulls + 1 end end
  check(fulls >= 2, "a full snapshot repairs the set after an error")
  check(r.last.game_frame >= 23, "snapshots continue")
  settle(ctx)
  compareTruth(ctx.reader(), ctx.E)
  ctx.close()
end)

test("no receiver: connect refused, exponential backoff with jitter, no errors, status says retrying", function()
  local probe = wire.server(); local port = probe.port; probe:close()
  local ctx = setup({ units = 50, noServer = true, port = port })
  local fails = {}
  for _ = 1, 108 do -- 3.6 s of the widget's clock
    ctx.E:step()
    local st = ctx.E:status()
    if not fails[st.failures] then fails[st.failures] = st.backoff end
    socket.sleep(0.002) -- a refused connect on loopback is reported at once, but by the kernel
  end
  local st = ctx.E:status()
  check(st.failures >= 2 and st.failures <= 3, "attempts in 3.6 s: %d", st.failures)
  check(fails[1] >= 0.8 and fails[1] <= 1.2, "first backoff ~1 s: %s", fails[1])
  check(fails[2] >= 1.6 and fails[2] <= 2.4, "second backoff ~2 s: %s", tostring(fails[2]))
  eq(st.state, "reconnecting", "state")
  check(st.text:find("retrying in", 1, true), "status text: %s", st.text)
  check(ctx.E.glCalls.last:find("retrying in", 1, true), "on-screen text")
  eq(st.errors, 0, "no errors")
  -- the receiver appears: the widget connects at its next attempt
  local srv = wire.server(port)
  ctx.srv = srv
  check(ctx.waitFor(function() srv:poll(); return #srv.conns == 1 and #srv.conns[1].lines > 0 end, 5), "connected after backoff")
  eq(wire.decode(srv.conns[1].lines[1]).type, "hello", "hello first")
  srv:close()
end)

-- Spring 106 rejects a TCPAllowConnect entry like 127.0.0.1:* and then denies every connect: LuaSocket's connect
-- returns nil, "connect denied" at once (no socket is opened)
test("connect denied by the engine (TCPAllowConnect): status line, /livedata status and the log name the setting", function()
  local srv = wire.server()
  local deny = true
  local ctx = setup({ units = 5, noServer = true, port = srv.port, before = function(E)
    local fake = setmetatable({}, { __index = socket })
    fake.tcp = function()
      local s = socket.tcp()
      return setmetatable({
        connect = function(self, h, p)
          if deny then return nil, "connect denied" end
          return s:connect(h, p)
        end,
      }, { __index = function(_, k) return function(self, ...) return s[k](s, ...) end end })
    end
    E.socketOverride = fake
  end })
  ctx.run(3)
  local st = ctx.E:status()
  eq(st.state, "reconnecting", "state")
  eq(st.last_error, "connect denied", "the engine's error")
  local where = "127.0.0.1:" .. srv.port
  for _, text in ipairs({ st.text, ctx.E.glCalls.last }) do
    check(text:find("connect denied", 1, true) and text:find("TCPAllowConnect", 1, true)
      and text:find("springsettings.cfg", 1, true) and text:find(where, 1, true), "status line: %s", text)
  end
  -- denied again at every retry: one log line for the streak, not one per attempt
  for _ = 1, 4 do ctx.E:advanceClock(45); ctx.run(1) end
  check(ctx.E:status().failures >= 4, "retried: %d", ctx.E:status().failures)
  local logged = 0
  for _, l in ipairs(ctx.E.echo) do
    if l:find("connect denied", 1, true) and l:find("TCPAllowConnect", 1, true) then logged = logged + 1 end
  end
  eq(logged, 1, "log lines about the denial")
  local n = #ctx.E.echo
  ctx.E:command("livedata status")
  local said = table.concat(ctx.E.echo, "\n", n + 1)
  check(said:find("connect denied", 1, true) and said:find("TCPAllowConnect = ", 1, true) == nil
    and said:find("add " .. where .. " (or *) to it in springsettings.cfg", 1, true) and said:find("host:* is invalid", 1, true),
    "/livedata status: %s", said)
  eq(ctx.E:status().errors, 0, "no errors")
  -- the user fixes the setting (and restarts): the next attempt connects
  deny = false
  ctx.srv = srv
  check(ctx.waitFor(function() ctx.E:advanceClock(1); ctx.E:step(); srv:poll(); return #srv.conns == 1 and #srv.conns[1].lines > 0 end, 5),
    "connects once allowed")
  check(not ctx.E:status().text:find("denied", 1, true), "status after: %s", ctx.E:status().text)
  srv:close()
end)

test("backoff doubles from 1 s with jitter and caps at 30 s", function()
  local probe = wire.server(); local port = probe.port; probe:close()
  local ctx = setup({ units = 5, noServer = true, port = port })
  local seen = {}
  -- the first attempt may already have failed during setup (a refused connect on loopback fails at once)
  local st0 = ctx.E:status()
  if st0.failures > 0 then seen[st0.failures] = st0.backoff end
  for i = 1, 40 do
    ctx.E:advanceClock(45) -- past any retry time
    ctx.E:step()
    local st = ctx.E:status()
    seen[st.failures] = st.backoff
    if st.failures >= 10 then break end
  end
  local nominal = { 1, 2, 4, 8, 16, 30, 30, 30, 30, 30 }
  for i = 1, 10 do
    local b = seen[i]
    check(b, "attempt %d made", i)
    check(b >= nominal[i] * 0.8 - 1e-9 and b <= math.min(30, nominal[i] * 1.2) + 1e-9, "backoff %d: %s", i, b)
  end
  eq(ctx.E:status().errors, 0, "no errors")
end)

test("own connect deadline: a connect that never completes is abandoned after ~2.5 s", function()
  local srv = wire.server()
  local ctx = setup({ units = 5, noServer = true, port = srv.port, before = function(E)
    -- a socket whose connect stays in progress: select never reports it writable
    local fake = setmetatable({}, { __index = socket })
    fake.select = function() return {}, {}, "timeout" end
    fake.tcp = function()
      local s = socket.tcp()
      local wrap = {}
      function wrap:settimeout(t) return s:settimeout(t) end
      function wrap:connect() return nil, "timeout" end
      function wrap:close() return s:close() end
      function wrap:getpeername() return nil end
      return wrap
    end
    E.socketOverride = fake
  end })
  srv:close()
  ctx.E:step()
  eq(ctx.E:status().state, "connecting", "connect in progress")
  ctx.E:advanceClock(2.0)
  ctx.E:step()
  eq(ctx.E:status().state, "connecting", "still waiting before the deadline")
  ctx.E:advanceClock(0.8)
  ctx.E:step()
  eq(ctx.E:status().state, "reconnecting", "gave up after the deadline")
  eq(ctx.E:status().last_error, "connect timed out", "reason")
  eq(ctx.E:status().errors, 0, "no errors")
end)

test("connect accepts 1 and \"already connected\" (LuaSocket 3.x and 2.0.2)", function()
  for _, variant in ipairs({ "one", "already" }) do
    local srv = wire.server()
    local ctx = setup({ units = 5, noServer = true, port = srv.port, before = function(E)
      local fake = setmetatable({}, { __index = socket })
      fake.tcp = function()
        local s = socket.tcp()
        local calls = 0
        return setmetatable({
          connect = function(self, h, p)
            calls = calls + 1
            s:settimeout(1)
            local ok, err = s:connect(h, p)
            s:settimeout(0)
            if calls == 1 and variant == "already" then return nil, "timeout" end
            if variant == "already" then return nil, "already connected" end
            return ok, err
          end,
          getpeername = function() if variant == "already" then return nil end return s:getpeername() end,
        }, { __index = function(_, k) return function(self, ...) return s[k](s, ...) end end })
      end
      fake.select = function(r, w, t) if w then return {}, { w[1], [w[1]] = true } end return socket.select(r, w, t) end
      E.socketOverride = fake
    end })
    ctx.srv = srv
    check(ctx.waitFor(function() ctx.E:step(); return ctx.E:status().state == "connected" end, 3), variant .. " connects")
    srv:close()
  end
end)

test("reader closes: widget notices, backs off, reconnects to a new reader; new stream starts with hello, no partial line", function()
  local ctx = setup({ units = 300 })
  ctx.run(30)
  local port = ctx.port
  ctx.srv:close()
  for _ = 1, 30 do ctx.E:step(); socket.sleep(0.01) end -- 1 s of the widget's clock: it looks every 0.5 s
  check(ctx.E:status().state ~= "connected", "disconnect noticed: %s", ctx.E:status().state)
  local srv = wire.server(port)
  ctx.srv = srv
  check(ctx.waitFor(function() ctx.E:step(); return #srv.conns >= 1 and #srv.conns[1].lines > 3 end, 5), "reconnected")
  ctx.run(120)
  settle(ctx)
  local r = ctx.reader(1)
  noErrors(r)
  eq(r.msgs[1].type, "hello", "hello first on the new connection")
  eq(r.msgs[2].units_full, true, "then a full snapshot")
  eq(r.msgs[2].seq, 0, "seq restarts")
  eq(srv.conns[1].buf, "", "no partial line")
  compareTruth(r, ctx.E)
  eq(ctx.E:status().connections, 2, "two connections")
  srv:close()
end)

test("slow reader: queue bounded in bytes, oldest snapshots dropped and counted, next snapshot full, frame cost flat", function()
  local ctx = setup({ units = 1000, queueKB = 256 })
  ctx.run(20)
  local base = {}
  for i = 1, 60 do base[i] = ctx.E:step(); ctx.srv:poll() end
  ctx.srv.reading = false
  local maxQ, stalled = 0, {}
  for i = 1, 600 do
    if i == 300 then ctx.E:killTeam(3) end -- an event while snapshots are being dropped
    stalled[#stalled + 1] = ctx.E:step()
    local q = ctx.E:status().queue_bytes
    if q > maxQ then maxQ = q end
  end
  local st = ctx.E:status()
  check(st.dropped > 0, "drops counted")
  check(maxQ <= 256 * 1024 + 4096, "queue bounded: %d", maxQ)
  table.sort(base); table.sort(stalled)
  local med = function(t) return t[math.floor(#t / 2) + 1] end
  io.write(string.format("    [cost median ms: reading %.3f, stalled %.3f; max queue %d B; dropped %d]\n",
    med(base), med(stalled), maxQ, st.dropped))
  -- the reader catches up
  ctx.srv.reading = true
  ctx.run(60, function() end)
  ctx.waitFor(function() return ctx.E:status().queue_bytes == 0 end, 3)
  ctx.run(10)
  local r = ctx.reader()
  noErrors(r) -- includes: no delta right after a seq gap
  check(r.gaps > 0, "seq gaps seen by the reader")
  local status = eventsOf(r, "status")
  local maxDropped = 0
  for _, e in ipairs(status) do if (e.dropped_snapshots or 0) > maxDropped then maxDropped = e.dropped_snapshots end end
  check(maxDropped > 0, "drop count reported in a status event")
  eq(#eventsOf(r, "team_died"), 1, "events are never dropped")
  for _, l in ipairs(ctx.srv:last().lines) do check(wire.decode(l), "whole lines only") end
  settle(ctx)
  compareTruth(ctx.reader(), ctx.E)
  ctx.close()
end)

test("bytes sent are counted exactly past 2^24 (16 MiB); queueKB is clamped to 16..8192 (byte counts below 2^24)", function()
  local ctx = setup({ units = 2000, seed = 9, budgetMs = 0 })
  ctx.srv.onLine = function() end -- count the bytes, keep no lines
  local frames = 0
  while ctx.srv.conns[1] == nil or ctx.srv.conns[1].mib < 17 do
    ctx.E:step(); ctx.srv:poll()
    frames = frames + 1
    check(frames < 3000, "17 MiB not reached in %d frames", frames)
  end
  check(ctx.waitFor(function() return ctx.E:status().queue_bytes == 0 end, 5), "queue drained")
  socket.sleep(0.05); ctx.srv:poll()
  local st, c = ctx.E:status(), ctx.srv.conns[1]
  -- the float total may differ by its own rounding (2 bytes at 16-32 MiB), not by adding every send in floats
  local total = c.mib * 1048576 + c.rest
  check(math.abs(st.bytes_sent - total) <= 2, "bytes_sent %s vs %s received", tostring(st.bytes_sent), tostring(total))
  eq(st.bytes_sent_mib, c.mib, "whole MiB sent (widget) vs received (server)")
  eq(st.bytes_sent_rest, c.rest, "bytes past the last MiB")
  for _, v in ipairs({ { 65536, 8192 }, { 1e9, 8192 }, { 4, 16 }, { 1000.7, 1000 } }) do
    ctx.E.widget:SetConfigData({ queueKB = v[1] })
    eq(ctx.E.widget:GetConfigData().queueKB, v[2], "queueKB " .. tostring(v[1]))
  end
  ctx.close()
end)

test("frame cost measured in microseconds with GetTimerMicros (GetTimer has 1 ms steps); Spring 106 falls back", function()
  -- a virtual clock: 2 us per Spring call, so the widget's cost per frame is known exactly
  local ctx = setup({ units = 300, virtualClock = 2, budgetMs = 0 })
  ctx.E:command("livedata hide") -- DrawScreen would call the engine outside the measured call-ins
  local ema = 0
  for _ = 1, 300 do
    local v0 = ctx.E.vclock
    ctx.E:step(); ctx.srv:poll()
    ema = ema + ((ctx.E.vclock - v0) / 1000 - ema) * 0.05 -- the widget's own smoothing
  end
  local st = ctx.E:status()
  check(ema > 0.05, "virtual cost per frame %.3f ms", ema)
  check(math.abs(st.cost_ms - ema) <= 0.03 * ema, "widget's frame cost %.4f ms, exactly %.4f ms", st.cost_ms, ema)
  ctx.close()
  -- Spring 106.0 has no GetTimerMicros: GetTimer's milliseconds still measure (coarsely), nothing breaks
  ctx = setup({ units = 300, engine = "spring106" })
  check(ctx.E.Spring.GetTimerMicros == nil, "no micro timer")
  ctx.run(60)
  local r = ctx.reader()
  noErrors(r)
  noWidgetErrors(ctx.E)
  check(r.snapshots >= 59, "snapshots: %d", r.snapshots)
  ctx.close()
end)

-- A socket that takes at most `budget` bytes until the test gives it more: sends stop mid-chunk and mid-line.
local function trickleSocket(E)
  local T = { out = {}, budget = 0 }
  local fake = setmetatable({}, { __index = socket })
  fake.tcp = function()
    local s = {}
    function s:settimeout() return 1 end
    function s:setoption(name, v)
      if name == "tcp-nodelay" and T.onOption then T.onOption(v) end
      return 1
    end
    function s:connect() return 1 end
    function s:getpeername() return "127.0.0.1", 1 end
    function s:receive() return nil, "timeout", "" end
    function s:close() T.closed = true; return 1 end
    function s:send(data, i)
      if T.onSend then T.onSend() end
      i = i or 1
      local want = #data - i + 1
      local n = want < T.budget and want or T.budget
      T.out[#T.out + 1] = data:sub(i, i + n - 1)
      T.budget = T.budget - n
      if n < want then return nil, "timeout", i + n - 1 end
      return #data
    end
    return s
  end
  fake.select = function() return {}, {} end
  E.socketOverride = fake
  return T
end

-- Each chunk sent with TCP_NODELAY was its own segment, processed by the kernel inside send() on loopback: Nagle is on
-- while a flush hands the chunks over, and off again at its end (which pushes them), also after a partial send
test("a flush sends its chunks with Nagle on and pushes them at the end (TCP_NODELAY off, then on)", function()
  local T
  local ctx = setup({ units = 500, noServer = true, port = 1, before = function(E) T = trickleSocket(E) end })
  local ops = {}
  T.onOption = function(v) ops[#ops + 1] = v and "push" or "hold" end
  T.onSend = function() ops[#ops + 1] = "send" end
  for f = 1, 60 do
    T.budget = T.budget + ((f % 10 == 0) and 1000 or 200000) -- now and then the kernel's buffer fills
    ctx.E:step()
  end
  local state, sends, holds = "push", 0, 0
  for i, op in ipairs(ops) do
    if op == "send" then
      check(state == "hold", "send %d with TCP_NODELAY on", i)
      sends = sends + 1
    else
      if op == "hold" then holds = holds + 1 end
      state = op
    end
  end
  eq(state, "push", "TCP_NODELAY on after the last flush")
  check(sends > holds * 2, "several chunks a flush: %d sends in %d flushes", sends, holds)
  eq(ctx.E:status().errors, 0, "no errors")
end)

test("snapshots queued in chunks stay whole lines through partial sends, drops and a disconnect", function()
  local T
  local ctx = setup({ units = 500, noServer = true, port = 1, queueKB = 160, before = function(E) T = trickleSocket(E) end })
  for f = 1, 300 do
    T.budget = T.budget + ((f % 7 == 0) and 30000 or 4000) -- slower than the stream, with bursts
    ctx.E:step()
  end
  check(ctx.E:status().dropped_total > 0, "snapshots dropped")
  T.budget = 200000 -- the line in flight (if any) and the bye fit
  ctx.E:command("livedata disconnect")
  local stream = table.concat(T.out)
  check(stream:sub(-1) == "\n", "the stream ends with a whole line")
  local r = wire.reader()
  local n = 0
  for line in stream:gmatch("([^\n]*)\n") do r:apply(line); n = n + 1 end
  noErrors(r) -- every line decodes and validates; no delta right after a seq gap
  local fulls, maxLen = 0, 0
  for _, m in ipairs(r.msgs) do
    if m.units_full then fulls = fulls + 1 end
    if m._line and #m._line > maxLen then maxLen = #m._line end
  end
  local deltas = r.snapshots - fulls
  io.write(string.format("    [lines %d: %d full and %d delta snapshots, %d seq gaps, longest %d B, %d dropped]\n", n,
    fulls, deltas, r.gaps, maxLen, ctx.E:status().dropped_total))
  check(fulls > 3 and deltas > 20 and r.gaps > 3, "both kinds of snapshot and gaps")
  check(r.bye and r.bye.reason == "disabled", "bye last")
  eq(r.msgs[#r.msgs].type, "bye", "last message")
  noWidgetErrors(ctx.E)
end)

-- a widget whose unit refresh costs `perCall` ms of the fake engine's clock for every GetUnitPosition while slow()
local function slowSetup(perCallMs, slow)
  return setup({ units = 300, budgetMs = 1.5, before = function(E)
    local gp = E.Spring.GetUnitPosition
    E.Spring.GetUnitPosition = function(id)
      if slow() then E:advanceClock(perCallMs / 1000) end
      return gp(id)
    end
  end })
end

test("adaptive throttling: over budget lowers the unit rate and says so in a status event", function()
  local slow = false
  -- 61 units refreshed a frame, about half of them mobile (a position read) at 80 us each: over the 1.5 ms budget
  local ctx = slowSetup(0.08, function() return slow end)
  ctx.run(10)
  slow = true
  local frames = 0
  while frames < 200 and not ctx.E:status().throttled do ctx.run(1); frames = frames + 1 end
  local st = ctx.E:status()
  check(st.throttled, "throttled (cost %.2f ms)", st.cost_ms)
  check(st.cost_ms > 1.5, "cost over the budget: %.2f ms", st.cost_ms)
  check(st.unit_rate_hz < 6, "unit rate lowered: %d", st.unit_rate_hz)
  ctx.run(5)
  local r = ctx.reader()
  noErrors(r)
  local ev = eventsOf(r, "status")
  local found
  for _, e in ipairs(ev) do if e.throttled then found = e end end
  check(found, "status event with throttled")
  check(found.message:find("over budget", 1, true), "message: %s", found.message)
  ctx.close()
end)

-- the waits between throttle changes pass on game time as well as wall time: at 20x, 5 s of wall time would be 100
-- game seconds at a lowered rate; at a quarter speed the wall clock decides
test("adaptive throttling: recovery after 5 game seconds at 20x, after 5 s of wall time at 1/4 speed", function()
  for _, case in ipairs({ { speed = 20, minFrames = 150, maxFrames = 190 }, { speed = 0.25, minFrames = 38, maxFrames = 60 } }) do
    local slow = true
    local ctx = slowSetup(0.08, function() return slow end)
    ctx.E.speed = case.speed
    local frames = 0
    while frames < 600 and not ctx.E:status().throttled do ctx.run(1); frames = frames + 1 end
    check(ctx.E:status().throttled, "%sx: throttled", case.speed)
    local at = ctx.E.frame
    slow = false
    -- back to the normal rate one level at a time, each after the wait (the first counts from the throttling)
    local steps = {}
    local level = ctx.E:status().unit_rate_hz
    while ctx.E.frame - at < 2000 and ctx.E:status().throttled do
      ctx.run(1)
      local hz = ctx.E:status().unit_rate_hz
      if hz ~= level then
        if hz < level then error(string.format("%sx: throttled further with no cost (%d Hz)", case.speed, hz)) end
        steps[#steps + 1] = ctx.E.frame - at
        at, level = ctx.E.frame, hz
      end
    end
    check(not ctx.E:status().throttled, "%sx: recovered (at %d Hz)", case.speed, ctx.E:status().unit_rate_hz)
    eq(ctx.E:status().unit_rate_hz, 6, case.speed .. "x: normal rate")
    for i, f in ipairs(steps) do
      check(f >= case.minFrames and f <= case.maxFrames, "%sx: step %d up after %d frames (expected %d-%d)",
        case.speed, i, f, case.minFrames, case.maxFrames)
    end
    local r = ctx.reader()
    local ev = eventsOf(r, "status")
    check(#ev >= 2 and ev[#ev].throttled == false and ev[#ev].unit_rate_hz == 6, "%sx: a status says it is over",
      case.speed)
    ctx.close()
  end
end)

--------------------------------------------------------------------------------
-- decision points (protocol 1.2 `orders`)
--------------------------------------------------------------------------------
local function ordersOf(r)
  local list, events = {}, {}
  for _, e in ipairs(r.events) do
    if e.event == "orders" then
      events[#events + 1] = e
      for _, o in ipairs(e.orders) do o._frame = e.game_frame; list[#list + 1] = o end
    end
  end
  return list, events
end

-- one line per decision point (a command per unit), as the fake engine logged what it reported
local function orderKey(frame, kind, team, unit, a, b, c, d)
  return table.concat({ frame, kind, team, unit, tostring(a), tostring(b), tostring(c), tostring(d) }, " ")
end

-- params as the wire keeps them: at most 3 decimals, 7 significant digits
local function sameParams(a, b)
  a, b = a or {}, b or {}
  if #a ~= #b then return false end
  for i = 1, #a do if math.abs(a[i] - b[i]) > tol(b[i]) then return false end end
  return true
end

-- the wire's orders against the engine's log: every decision point once, nothing else
local function compareOrders(r, E, keep)
  local want = {} -- key -> list of params (commands) or of true
  local nwant = 0
  for _, o in ipairs(E.orderLog) do
    if keep(o) then
      local k
      local d = E.defs[o.def]
      if o.kind == "command" and o.cmd < 0 and d.isFactory then
        local c = o.coded
        local n = ((c % 64 >= 32) and 5 or 1) * ((c % 128 >= 64) and 20 or 1)
        k = orderKey(o.frame, "factory_queue", o.team, o.unit, -o.cmd, (c % 32 >= 16) and -n or n, o.def, o.player)
      elseif o.kind == "command" then
        k = orderKey(o.frame, "command", o.team, o.unit, o.cmd, o.coded, o.player)
      else
        k = orderKey(o.frame, "build_started", o.team, o.unit, o.def, o.builder)
      end
      want[k] = want[k] or {}
      table.insert(want[k], (o.kind == "command" and o.cmd >= 0) and o.params or true)
      nwant = nwant + 1
    end
  end
  local list = ordersOf(r)
  local ngot = 0
  for _, o in ipairs(list) do
    local keys = {}
    if o.kind == "command" then
      for _, id in ipairs(o.unit_ids) do
        keys[#keys + 1] = orderKey(o._frame, "command", o.team_id, id, o.cmd_id, o.options or 0, o.player_id)
      end
    elseif o.kind == "factory_queue" then
      keys[1] = orderKey(o._frame, "factory_queue", o.team_id, o.unit_id, o.build_def_id, o.count, o.def_id, o.player_id)
    else
      keys[1] = orderKey(o._frame, "build_started", o.team_id, o.unit_id, o.def_id, o.builder_id)
    end
    for _, k in ipairs(keys) do
      ngot = ngot + 1
      local w = want[k]
      local found
      for i = 1, w and #w or 0 do
        if w[i] == true or sameParams(o.params, w[i]) then found = i; break end
      end
      check(found, "on the wire but not reported by the engine (or twice): %s", k)
      table.remove(w, found)
    end
  end
  for k, w in pairs(want) do check(#w == 0, "reported by the engine, missing on the wire: %s", k) end
  eq(ngot, nwant, "decision points")
  return list, nwant
end

test("orders at comprehensive detail: every command, build started and factory queue change the engine reported, once, per frame", function()
  local ctx = setup({ units = 150, detail = "comprehensive", logOrders = true })
  ctx.run(5)
  eq(ctx.E:status().state, "connected", "connected")
  local from = ctx.connectedFrom -- from the first frame connected ...
  ctx.run(465)
  ctx.waitFor(function() return ctx.E:status().queue_bytes == 0 end, 2)
  local r = ctx.reader()
  noErrors(r)
  noWidgetErrors(ctx.E)
  -- ... to the last finished one (the current frame's orders go out when it is over)
  local list, n = compareOrders(r, ctx.E, function(o) return o.frame >= from and o.frame < ctx.E.frame end)
  check(n > 100, "a busy game: %d decision points", n)
  local _, events = ordersOf(r)
  local frames, kinds, counts, grouped, names = {}, {}, {}, 0, {}
  for _, e in ipairs(events) do
    check(not frames[e.game_frame], "one orders event per frame (frame %d twice)", e.game_frame)
    frames[e.game_frame] = true
  end
  for _, o in ipairs(list) do
    kinds[o.kind] = (kinds[o.kind] or 0) + 1
    if o.kind == "factory_queue" then counts[o.count] = true end
    if o.kind == "command" then
      if #o.unit_ids > 1 then grouped = grouped + 1 end
      names[o.cmd_name or "?"] = true
      check(o.player_id ~= nil, "player_id of a player's order")
    end
    if o.kind == "build_started" then check(o.builder_id, "builder") end
  end
  check(kinds.command and kinds.build_started and kinds.factory_queue, "all three kinds: %s %s %s",
    tostring(kinds.command), tostring(kinds.build_started), tostring(kinds.factory_queue))
  for _, c in ipairs({ 1, 5, 20, 100, -1 }) do check(counts[c], "factory queue count %d (shift 5, ctrl 20, both 100, right removes)", c) end
  check(grouped > 0, "units given the same order in one frame share an entry")
  check(names.move and names.fight, "command names from CMD")
  -- status carries dropped_orders (1.2) while orders are exported
  ctx.E:advanceClock(11)
  ctx.run(2)
  local st = eventsOf(ctx.reader(), "status")
  eq(st[#st].dropped_orders, 0, "status dropped_orders")
  eq(st[#st].schema_version, "1.2", "a status with dropped_orders says 1.2")
  eq(ctx.E:status().orders_sent, n, "orders_sent in WG.livedata")
  ctx.close()
end)

test("orders switch: off at standard detail by default, /livedata orders on|off|auto, persisted; auto follows detail", function()
  local ctx = setup({ units = 150, logOrders = true })
  ctx.run(100)
  local r = ctx.reader()
  noErrors(r)
  eq(#ordersOf(r), 0, "no orders at standard detail")
  for _, e in ipairs(eventsOf(r, "status")) do check(e.dropped_orders == nil, "no dropped_orders while off") end
  eq(ctx.E:status().orders, false, "off")
  ctx.E:command("livedata orders on")
  eq(ctx.E:status().orders, true, "on")
  local from = ctx.E.frame + 1
  ctx.run(100)
  r = ctx.reader()
  noErrors(r)
  local n = #ordersOf(r)
  check(n > 0, "orders after /livedata orders on")
  compareOrders(r, ctx.E, function(o) return o.frame >= from and o.frame < ctx.E.frame end)
  eq(ctx.E.widget:GetConfigData().orders, "on", "saved")
  ctx.E:command("livedata orders off") -- sends what the current frame collected so far
  ctx.run(1)
  n = #ordersOf(ctx.reader())
  ctx.run(100)
  eq(#ordersOf(ctx.reader()), n, "nothing more while off")
  ctx.E:command("livedata orders auto")
  ctx.E:command("livedata detail comprehensive")
  eq(ctx.E:status().orders, true, "auto: on at comprehensive")
  ctx.E:command("livedata orders sometimes")
  eq(ctx.E:status().orders_setting, "auto", "bad value ignored")
  check(ctx.E.echo[#ctx.E.echo]:find("auto", 1, true), "says what it takes: %s", ctx.E.echo[#ctx.E.echo])
  ctx.E:command("livedata status")
  check(ctx.E.echo[#ctx.E.echo]:find("orders auto (on, 0 dropped)", 1, true), "status line: %s", ctx.E.echo[#ctx.E.echo])
  ctx.E.options.livedata_orders.onchange(1, 3)
  eq(ctx.E:status().orders_setting, "off", "settings menu: off")
  ctx.close()
  local E2 = FE.new({ root = ROOT, units = 5 })
  local w = E2:loadWidget(WIDGET, nil, true)
  w:SetConfigData({ orders = true })
  eq(w:GetConfigData().orders, "on", "a boolean is taken")
  w:SetConfigData({ orders = "loud" })
  eq(w:GetConfigData().orders, "on", "junk ignored")
end)

test("fog of war: a player's widget exports its own ally team's orders only, whatever a handler passes", function()
  local ctx = setup({ units = 200, view = "player", orders = "on", logOrders = true })
  ctx.run(5)
  local from = ctx.connectedFrom
  ctx.run(295)
  -- the engine never does this (UnitCommand only for ally teams the client can read); a handler or gadget might
  local enemy
  for id, u in pairs(ctx.E.units) do
    if ctx.E.teams[u.team].ally ~= 0 and not u.dead then enemy = u; break end
  end
  check(enemy, "an enemy unit")
  ctx.E:call("UnitCommand", enemy.id, enemy.def, enemy.team, 10, { 1, 2, 3 }, { coded = 0 }, 0, enemy.team, false, false)
  ctx.E:call("UnitCreated", enemy.id, enemy.def, enemy.team, enemy.id + 1)
  ctx.run(3)
  local r = ctx.reader()
  noErrors(r)
  local list = compareOrders(r, ctx.E, function(o)
    return ctx.E.teams[o.team].ally == 0 and o.frame >= from and o.frame < ctx.E.frame
  end)
  check(#list > 0, "own orders exported")
  for _, o in ipairs(list) do eq(ctx.E.teams[o.team_id].ally, 0, "order of ally team") end
  ctx.close()
end)

test("orders bounded per frame (1024 entries, 4096 units) and by the send queue; the rest counted in status.dropped_orders", function()
  local ctx = setup({ units = 60, orders = "on", queueKB = 256 })
  ctx.E.frozen = true
  ctx.run(5)
  local E = ctx.E
  local u = E.units[E.order[1]]
  -- one frame: 1100 different orders to one unit, then 5000 units (ids) given one and the same order
  for i = 1, 1100 do E:call("UnitCommand", u.id, u.def, u.team, 10, { i, 0, i }, { coded = 0 }, 0, 0, false, false) end
  for i = 1, 5000 do E:call("UnitCommand", i % 32000, u.def, u.team, 16, { 5, 5, 5 }, { coded = 32 }, 0, 0, false, false) end
  ctx.run(1)
  E:advanceClock(2)
  ctx.run(2)
  ctx.waitFor(function() return E:status().queue_bytes == 0 end, 2)
  local r = ctx.reader()
  noErrors(r)
  local list, events = ordersOf(r)
  eq(#events, 1, "one event")
  eq(#list, 1024, "entries bounded")
  local ids = 0
  for _, o in ipairs(list) do ids = ids + #o.unit_ids end
  eq(ids, 1024, "the first 1024 orders kept (the same order to 5000 more units had no room)")
  eq(E:status().dropped_orders, 1100 + 5000 - 1024, "dropped counted")
  local st = eventsOf(r, "status")
  eq(st[#st].dropped_orders, 5076, "reported in status")
  -- the unit bound: one order to 5000 units in a fresh frame
  for i = 1, 5000 do E:call("UnitCommand", i, u.def, u.team, 16, { 5, 5, 5 }, { coded = 32 }, 0, 0, false, false) end
  ctx.run(2)
  ctx.waitFor(function() return E:status().queue_bytes == 0 end, 2)
  list = ordersOf(ctx.reader())
  check(#list == 1025, "a second event: %d", #list)
  eq(#list[#list].unit_ids, 4096, "unit ids bounded")
  eq(E:status().dropped_orders, 5076 + 904, "dropped counted")
  -- a reader that stops reading: orders never pass the queue's bound
  ctx.srv.reading = false
  E:command("livedata rate 1")
  local maxQ = 0
  for f = 1, 300 do
    for i = 1, 200 do E:call("UnitCommand", u.id, u.def, u.team, 10, { i, f, i }, { coded = 0 }, 0, 0, false, false) end
    ctx.run(1)
    if E:status().queue_bytes > maxQ then maxQ = E:status().queue_bytes end
  end
  check(maxQ <= 256 * 1024, "queue bounded: %d", maxQ)
  check(E:status().dropped_orders > 5980, "orders dropped while the reader is behind: %d", E:status().dropped_orders)
  noWidgetErrors(E)
  ctx.close()
end)

test("hostile UnitCommand/UnitCreated arguments never break a line or raise; swapped params/options are told apart", function()
  local ctx = setup({ units = 40, orders = "on" })
  ctx.E.frozen = true
  ctx.run(5)
  local E = ctx.E
  local u = E.units[E.order[1]]
  local nan, inf = 0 / 0, 1 / 0
  local calls = {
    { u.id, u.def, u.team, 10, { nan, 1, 2 }, { coded = 0 } },        -- params dropped (reader would refuse NaN)
    { u.id, u.def, u.team, 10, { 1, inf, 2 }, { coded = 0 } },
    { u.id, u.def, u.team, 10, { 1e13, 1, 2 }, { coded = 0 } },
    { u.id, u.def, u.team, 10, "params", 7 },
    { u.id, u.def, u.team, 10, { 1, 2, 3 }, { coded = nan } },
    { u.id, u.def, u.team, 10, { 1, 2, 3 }, { coded = 1e9 } },
    { u.id, u.def, u.team, 10, { 1, 2, 3 }, { shift = true, ctrl = true } }, -- no coded: from the booleans (96)
    { u.id, u.def, u.team, 20, { coded = 32 }, { 77 } },                -- swapped: params second
    { u.id, u.def, u.team, 20, 64, { 78 } },                            -- options as a number, swapped
    { u.id, u.def, u.team, 2 ^ 31, { 1 }, { coded = 0 } },              -- cmd id out of range
    { u.id, u.def, u.team, 10.5, { 1 }, { coded = 0 } },
    { u.id, u.def, u.team, "MOVE", { 1 }, { coded = 0 } },
    { -1, u.def, u.team, 10, { 1 }, { coded = 0 } },                    -- bad unit ids and teams
    { 40000, u.def, u.team, 10, { 1 }, { coded = 0 } },
    { u.id, u.def, 300, 10, { 1 }, { coded = 0 } },
    { u.id, u.def, nil, 10, { 1 }, { coded = 0 } },
    { u.id, "x", u.team, -5, {}, { coded = 0 } },                       -- a build order, def unknown: a command
    { u.id, u.def, u.team, 999999, {}, { coded = 0 } },                 -- no name known
  }
  local many = {}
  for i = 1, 70 do many[i] = i end
  calls[#calls + 1] = { u.id, u.def, u.team, 10, many, { coded = 0 } } -- cut to 64
  for _, c in ipairs(calls) do E:call("UnitCommand", c[1], c[2], c[3], c[4], c[5], c[6], 0, 999, false, false) end
  E:call("UnitCreated", u.id, u.def, u.team, -3)
  E:call("UnitCreated", u.id, u.def, u.team, "builder")
  E:call("UnitCreated", u.id, nil, u.team, u.id)
  ctx.run(2)
  ctx.waitFor(function() return E:status().queue_bytes == 0 end, 2)
  local r = ctx.reader()
  noErrors(r)
  noWidgetErrors(E)
  local list = ordersOf(r)
  local byOpt, withParams, cut, ids = {}, 0, false, 0
  for _, o in ipairs(list) do
    eq(o.kind, "command", "kind")
    ids = ids + #o.unit_ids
    check(o.player_id == nil, "player 999 is not a player id")
    byOpt[o.options] = o
    if o.params then withParams = withParams + 1 end
    if o.params and #o.params == 64 then cut = true end
  end
  -- 12 calls kept (19 less 3 command ids and 4 units or teams); those whose params or options come out the same
  -- (NaN, inf and 1e13 params all dropped; NaN and 1e9 options both 0) share an entry, as a group move would
  eq(ids, 12, "commands kept (bad ids, teams and command ids left out)")
  eq(#list, 9, "entries: the same order in the same frame is one entry")
  check(byOpt[96] and byOpt[96].params, "options from booleans")
  check(byOpt[32] and byOpt[32].params[1] == 77 and byOpt[32].cmd_name == "attack", "swapped table arguments")
  check(byOpt[64] and byOpt[64].params[1] == 78, "options as a number")
  check(cut, "params cut at 64")
  eq(E:status().dropped_orders, 3, "command ids that are not integers are counted")
  ctx.close()
end)

test("the engines' own widgets.lua passes no command id: counted, logged once; builds still exported", function()
  local ctx = setup({ units = 150, orders = "on", handler = "spring106", logOrders = true })
  ctx.run(5)
  local from = ctx.connectedFrom
  ctx.run(195)
  ctx.waitFor(function() return ctx.E:status().queue_bytes == 0 end, 2)
  local r = ctx.reader()
  noErrors(r)
  noWidgetErrors(ctx.E)
  local list = compareOrders(r, ctx.E, function(o)
    return o.kind == "build_started" and o.frame >= from and o.frame < ctx.E.frame
  end)
  check(#list > 0, "builds started exported")
  local commands = 0
  for _, o in ipairs(ctx.E.orderLog) do if o.kind == "command" and o.frame >= from then commands = commands + 1 end end
  check(commands > 0, "the engine reported commands")
  eq(ctx.E:status().dropped_orders, commands, "every command without an id counted")
  local warned = 0
  for _, l in ipairs(ctx.E.echo) do if l:find("no command id", 1, true) then warned = warned + 1 end end
  eq(warned, 1, "one log line")
  ctx.close()
end)

test("command names: the engines' CMD aliases are undone (attack, manualfire), build orders named by the def", function()
  local ctx = setup({ units = 40, orders = "on" })
  ctx.E.frozen = true
  ctx.run(5)
  local E = ctx.E
  local u
  for _, id in ipairs(E.order) do
    if not E.defs[E.units[id].def].isFactory then u = E.units[id]; break end
  end
  local d = E.tankDef
  for _, c in ipairs({ 20, 105, 16, 0, -d, 31337 }) do
    E:call("UnitCommand", u.id, u.def, u.team, c, {}, { coded = 0 }, 0, 0, false, false)
  end
  ctx.run(2)
  ctx.waitFor(function() return E:status().queue_bytes == 0 end, 2)
  local r = ctx.reader()
  noErrors(r)
  local names = {}
  for _, o in ipairs(ordersOf(r)) do names[o.cmd_id] = o.cmd_name or false end
  eq(names[20], "attack", "20"); eq(names[105], "manualfire", "105"); eq(names[16], "fight", "16"); eq(names[0], "stop", "0")
  eq(names[-d], E.defs[d].name, "a builder's build order")
  eq(names[31337], false, "a custom command without a name")
  ctx.close()
end)

test("orders while paused go out at once; a view change sends the old view's orders first; one event per frame", function()
  local ctx = setup({ units = 60, orders = "on" })
  ctx.E.frozen = true
  ctx.run(5)
  local E = ctx.E
  local u = E.units[E.order[1]]
  E:setPaused(true)
  E:call("UnitCommand", u.id, u.def, u.team, 10, { 1, 2, 3 }, { coded = 0 }, 0, 0, false, false)
  E:step()
  E:call("UnitCommand", u.id, u.def, u.team, 10, { 4, 5, 6 }, { coded = 0 }, 0, 0, false, false)
  E:step()
  ctx.waitFor(function() return E:status().queue_bytes == 0 end, 2)
  local list = ordersOf(ctx.reader())
  eq(#list, 2, "both sent while paused")
  E:setPaused(false)
  E:call("UnitCommand", u.id, u.def, u.team, 10, { 7, 8, 9 }, { coded = 0 }, 0, 0, false, false)
  E:setView(2, false)
  ctx.run(2)
  local r = ctx.reader()
  noErrors(r)
  local idx = {}
  for i, m in ipairs(r.msgs) do
    if m.type == "event" and m.event == "view_changed" then idx.view = idx.view or i end
    if m.type == "event" and m.event == "orders" and m.orders[1].params and m.orders[1].params[1] == 7 then idx.orders = i end
  end
  check(idx.orders and idx.view and idx.orders < idx.view, "orders of the old view before view_changed")
  ctx.close()
end)

--------------------------------------------------------------------------------
-- protocol 1.1: the Spectator HUD's values, production, player cards
--------------------------------------------------------------------------------
-- The 1.1 team fields a reader holds after applying every line in order: absent means unchanged (SCHEMA.md), a
-- view_changed forgets them. Returns team id -> {field -> value} plus "metal."/"energy." fields, and per team how
-- many snapshots carried production.
local HUD_FIELDS = { "units_killed", "units_died", "utility_value", "economy_value", "production", "damage_dealt",
                     "damage_received" }
local function hudState(r)
  local st, carried = {}, {}
  for _, m in ipairs(r.msgs) do
    if m.type == "event" and m.event == "view_changed" then st = {} end
    if m.type == "snapshot" then
      for _, t in ipairs(m.teams) do
        local s = st[t.team_id] or {}
        st[t.team_id] = s
        for _, k in ipairs(HUD_FIELDS) do if t[k] ~= nil then s[k] = t[k] end end
        for _, res in ipairs({ "metal", "energy" }) do
          for _, k in ipairs({ "used", "reclaim", "converted" }) do
            if t[res] and t[res][k] ~= nil then s[res .. "." .. k] = t[res][k] end
          end
        end
        if t.production then carried[t.team_id] = (carried[t.team_id] or 0) + 1 end
      end
    end
  end
  return st, carried
end

local function near(a, b, what)
  check(type(a) == "number" and math.abs(a - b) <= tol(b), "%s: %s vs %s", what, tostring(a), tostring(b))
end

-- the reader's HUD values of team t equal the fake engine's own state (E:hudTruth)
local function compareHud(s, E, t)
  local h = E:hudTruth(t)
  check(s, "team %d: no HUD values", t)
  near(s.utility_value, h.util, "utility_value of " .. t)
  near(s.economy_value, h.econ, "economy_value of " .. t)
  near(s["metal.reclaim"], h.mrec, "metal reclaim of " .. t)
  near(s["energy.reclaim"], h.erec, "energy reclaim of " .. t)
  near(s["metal.converted"], h.conv, "converted of " .. t)
  eq(s.units_killed, h.killed, "units_killed of " .. t)
  eq(s.units_died, h.died, "units_died of " .. t)
  near(s.damage_dealt, h.dealt, "damage_dealt of " .. t)
  near(s.damage_received, h.received, "damage_received of " .. t)
  near(s["metal.used"], E.teams[t].metal.used, "metal used of " .. t)
  near(s["energy.used"], E.teams[t].energy.used, "energy used of " .. t)
  local p = s.production
  eq(p.idle_builders, h.idle, "idle_builders of " .. t)
  local nf, nc = 0, 0
  for _ in pairs(h.factories) do nf = nf + 1 end
  for _ in pairs(h.constructing) do nc = nc + 1 end
  eq(#p.factories, nf, "factories of " .. t)
  for _, f in ipairs(p.factories) do
    local tf = h.factories[f.id]
    check(tf, "factory %d of team %d is not one", f.id, t)
    eq(f.def_id, tf.def, "factory def")
    eq(f.building, tf.building, "factory " .. f.id .. " building")
    if tf.progress then near(f.progress, tf.progress, "factory progress") else eq(f.progress, nil, "progress") end
    eq(f.queued, tf.queued, "factory " .. f.id .. " queued")
  end
  eq(#p.constructing, nc, "constructions of " .. t)
  for _, c in ipairs(p.constructing) do
    local tc = h.constructing[c.id]
    check(tc, "construction %d of team %d is not one", c.id, t)
    eq(c.def_id, tc.def, "construction def")
    near(c.progress, tc.progress, "construction progress")
    eq(c.builders or 1, tc.builders, "builders of " .. c.id)
  end
  return nf + nc
end

test("1.1 HUD values (spectator): production, idle builders, reclaim, conversion, utility/economy, K/D, used equal the engine's", function()
  local ctx = setup({ units = 300, seed = 5 })
  ctx.run(100)
  -- frozen, every value is constant: a walk that starts and ends in this time must find exactly the engine's state
  ctx.E.frozen = true
  ctx.run(70)
  settle(ctx, 5)
  local r = ctx.reader()
  noErrors(r)
  local st, carried = hudState(r)
  local entries = 0
  for t = 0, 3 do entries = entries + compareHud(st[t], ctx.E, t) end
  check(entries > 20, "factories and constructions compared: %d", entries)
  -- once a game second (170 frames: at most 6 walks) plus full snapshots, never every snapshot
  local snaps = 0
  for _, m in ipairs(r.msgs) do if m.type == "snapshot" then snaps = snaps + 1 end end
  for t = 0, 3 do
    check(carried[t] and carried[t] >= 4 and carried[t] <= 7, "team %d: production in %s of %d snapshots", t,
      tostring(carried[t]), snaps)
  end
  -- the lines say 1.1
  for _, m in ipairs(r.msgs) do eq(m.schema_version, "1.1", m.type .. " schema_version") end
  noWidgetErrors(ctx.E)
  ctx.close()
end)

test("1.1 HUD values: every full snapshot carries them, a delta after the walk's only once; minimal detail has them too", function()
  local ctx = setup({ units = 200, seed = 9 })
  ctx.run(70)
  ctx.E:command("livedata detail minimal")
  ctx.run(35)
  local r = ctx.reader()
  noErrors(r)
  local published, minimal = false, 0
  for _, m in ipairs(r.msgs) do
    if m.type == "snapshot" then
      local has = m.teams[1].production ~= nil
      if has then published = true end
      if published and (m.units_full ~= false) then
        check(has, "full snapshot seq %d without the HUD values", m.seq)
      end
      if m.detail == "minimal" then minimal = minimal + 1 end
    end
  end
  check(published, "no HUD values at all")
  check(minimal > 25, "minimal snapshots: %d", minimal)
  noWidgetErrors(ctx.E)
  ctx.close()
end)

test("1.1 fog of war: a player gets HUD values, production, K/D and used for its own ally team only", function()
  local ctx = setup({ units = 300, view = "player", seed = 3 })
  ctx.run(100)
  ctx.E.frozen = true
  ctx.run(70)
  settle(ctx, 5)
  local r = ctx.reader()
  noErrors(r)
  local st = hudState(r)
  local me = ctx.E.teams[ctx.E.me.team].ally
  local own = 0
  for t = 0, 3 do
    if ctx.E.teams[t].ally == me then
      own = own + 1
      compareHud(st[t], ctx.E, t)
    else
      for k, v in pairs(st[t] or {}) do check(false, "enemy team %d: %s = %s", t, k, tostring(v)) end
    end
  end
  eq(own, 2, "own ally team's teams")
  noWidgetErrors(ctx.E)
  ctx.close()
end)

test("1.1 player cards in the hello: faction, country, rank, skill (earned, estimated, privacy), AI card; no spectators", function()
  for _, engine in ipairs({ "recoil", "spring106" }) do
    local ctx = setup({ units = 20, engine = engine ~= "recoil" and engine or nil })
    ctx.run(5)
    local r = ctx.reader()
    noErrors(r)
    local teams = r.msgs[1].teams
    local a, b, ai, d = teams[1], teams[2], teams[3], teams[4]
    eq(a.faction, "armada", engine .. " faction")
    eq(b.faction, "cortex", engine .. " faction")
    eq(#a.players, 1, "one player, the spectator not listed")
    local p = a.players[1]
    eq(p.player_id, 0, "player_id"); eq(p.name, "Alice", "name"); eq(p.country, "DE", "country upper case")
    eq(p.rank, 2, "rank"); eq(p.skill, 32.41, engine .. " skill from custom keys"); eq(p.skill_uncertainty, 1.92, "sigma")
    eq(p.skill_estimated, nil, "earned rating"); eq(p.status, nil, "playing")
    eq(b.players[1].skill, 18, "estimated skill"); eq(b.players[1].skill_estimated, true, "(mu) is estimated")
    eq(ai.players, nil, "an AI team has no player cards")
    eq(ai.ai.name, "BARbarianAI", "AI name"); eq(ai.ai.short_name, "BARb", "AI short name")
    eq(ai.ai.version, "stable", "AI version")
    eq(d.players[1].skill, nil, "privacy mode: no skill"); eq(d.players[1].country, "SE", "country")
    eq(r.msgs[1].schema_version, "1.1", "hello version")
    noWidgetErrors(ctx.E)
    ctx.close()
  end
end)

-- BAR's anonymous mode: a spectator sees every name, rating, country and colour as usual; a player sees other teams'
-- people as "?????" with no rating or country. The hello says the game is anonymous (1.4).
test("1.4 anonymous game: the hello says so; a spectator's cards as BAR shows them, a player's only its own team's", function()
  local function anon(E) E.modOptions = { teamcolors_anonymous_mode = "local" } end
  -- a spectator
  local ctx = setup({ units = 20, before = anon })
  ctx.run(5)
  local r = ctx.reader()
  noErrors(r)
  local h = r.msgs[1]
  eq(h.schema_version, "1.4", "hello version")
  eq(h.anonymous, "local", "the mode")
  eq(h.teams[1].name, "Alice", "a spectator sees names")
  eq(h.teams[1].players[1].country, "DE", "and countries")
  eq(h.teams[3].ai.name, "BARbarianAI", "and AI cards")
  ctx.close()
  -- a player: its own team as usual, the others nameless, with no cards; colours as the engine draws them
  ctx = setup({ units = 20, view = "player", before = anon })
  ctx.run(5)
  r = ctx.reader()
  noErrors(r)
  h = r.msgs[1]
  eq(h.anonymous, "local", "the mode")
  eq(h.teams[1].name, "Alice", "own team")
  eq(h.teams[1].players[1].name, "Alice", "own card")
  for i = 2, 4 do
    local t = h.teams[i]
    eq(t.name, "?????", "team " .. t.team_id .. " name")
    eq(t.players, nil, "team " .. t.team_id .. " cards")
    eq(t.ai, nil, "team " .. t.team_id .. " AI card")
    check(#t.color == 3, "team %d colour", t.team_id)
  end
  local all = table.concat(ctx.srv.conns[1].lines, "\n")
  for _, name in ipairs({ "Bob", "BARbarianAI", "Dave", "\"SE\"" }) do
    check(not all:find(name, 1, true), "the stream names %s", name)
  end
  -- the player resigns: now a spectator, who sees the names (team_changed)
  ctx.E.me.spectating, ctx.E.me.fullView = true, true
  ctx.E:call("PlayerChanged", ctx.E.me.player)
  ctx.run(5)
  r = ctx.reader()
  noErrors(r)
  local named = {}
  for _, e in ipairs(eventsOf(r, "team_changed")) do named[e.team.team_id] = e.team.name end
  eq(named[1], "Bob", "a spectator now: Bob named")
  noWidgetErrors(ctx.E)
  ctx.close()
  -- not anonymous: no field, the usual version
  ctx = setup({ units = 5, before = function(E) E.modOptions = { teamcolors_anonymous_mode = "disabled" } end })
  ctx.run(2)
  r = ctx.reader()
  eq(r.msgs[1].anonymous, nil, "no field when disabled")
  eq(r.msgs[1].schema_version, "1.1", "version")
  ctx.close()
end)

test("1.1 team_changed: a player disconnects, comes back, resigns (call-ins and the 2 s check); spectators never listed", function()
  local ctx = setup({ units = 30 })
  ctx.run(10)
  local E = ctx.E
  local function changes()
    local r = ctx.reader()
    noErrors(r)
    return eventsOf(r, "team_changed")
  end
  E.players[1].active = false
  E:call("PlayerRemoved", 1)
  ctx.run(2)
  local ev = changes()
  eq(#ev, 1, "team_changed after PlayerRemoved")
  eq(ev[1].team.team_id, 1, "team"); eq(ev[1].team.players[1].status, "disconnected", "status")
  eq(ev[1].team.name, "Bob", "the whole description")
  E.players[1].active = true
  E:call("PlayerAdded", 1)
  ctx.run(2)
  ev = changes()
  eq(#ev, 2, "back"); eq(ev[2].team.players[1].status, nil, "playing again")
  E.players[3].spectator = true
  E:call("PlayerChanged", 3)
  ctx.run(2)
  ev = changes()
  eq(#ev, 3, "resigned"); eq(ev[3].team.team_id, 3, "team"); eq(ev[3].team.players[1].status, "resigned", "status")
  -- no call-in: the periodic check notices
  E.players[0].active = false
  E:advanceClock(2.5)
  ctx.run(3)
  ev = changes()
  eq(#ev, 4, "seen by the 2 s check"); eq(ev[4].team.team_id, 0, "team")
  -- nothing changes: nothing sent
  E:advanceClock(2.5)
  ctx.run(3)
  eq(#changes(), 4, "no change, no event")
  -- a team dies: the engine drops its AI (Spring 106 then names it "Team 2"); it keeps the name it played under
  E:killTeam(2)
  E.teams[2].ai = false
  ctx.run(3)
  ev = changes()
  eq(#ev, 5, "team died"); eq(ev[5].team.team_id, 2, "team"); eq(ev[5].team.is_dead, true, "dead")
  eq(ev[5].team.name, "BARbarianAI", "name kept"); eq(ev[5].team.ai.short_name, "BARb", "AI card kept")
  E:advanceClock(2.5)
  ctx.run(3)
  eq(#changes(), 5, "a dead team changes no more")
  -- a reconnect's hello carries the current description
  ctx.srv:closeConns()
  ctx.waitFor(function() ctx.E:advanceClock(1); return #ctx.srv.conns >= 2 and #ctx.srv.conns[2].lines > 0 end, 5)
  local r2 = ctx.reader(2)
  eq(r2.msgs[1].type, "hello", "new hello")
  eq(r2.msgs[1].teams[4].players[1].status, "resigned", "hello after the change")
  noWidgetErrors(ctx.E)
  ctx.close()
end)

test("1.1 production lists are cut at 64: factories keep the busy ones, constructions the furthest along", function()
  local ctx = setup({ units = 0, noUnits = true, before = function(E)
    local lab = E.defsByName["armlab"]
    for _ = 1, 70 do E:spawn(0, lab, true) end
    local kbot = E.defsByName["armpw"]
    for _ = 1, 5 do E:spawn(0, kbot, false) end
  end })
  ctx.E.frozen = true
  ctx.run(70)
  local r = ctx.reader()
  noErrors(r)
  local st = hudState(r)
  local f = st[0].production.factories
  eq(#f, 64, "factories cut")
  local busy = 0
  for _, x in ipairs(f) do if x.building then busy = busy + 1 end end
  eq(busy, 5, "every busy factory kept")
  noWidgetErrors(ctx.E)
  ctx.close()
end)

--------------------------------------------------------------------------------
local pattern = arg[1]
local passed, failed, na = 0, 0, {}
print("runtime: " .. RT.name .. " (" .. _VERSION .. ", " .. tostring(socket._VERSION) .. ", " .. RT.floatBits .. "-bit numbers)")
for _, t in ipairs(tests) do
  if t.only and t.only ~= RT.name and (not pattern or t.name:find(pattern, 1, true)) then
    na[#na + 1] = t.name
    io.write(string.format("n/a  %s (runs under %s only)\n", t.name, t.only))
  elseif not pattern or t.name:find(pattern, 1, true) then
    local t0 = clock()
    local ok, err = xpcall(t.fn, debug.traceback)
    if ok then
      passed = passed + 1
      io.write(string.format("ok   %s (%.2fs)\n", t.name, clock() - t0))
    else
      failed = failed + 1
      io.write(string.format("FAIL %s\n     %s\n", t.name, tostring(err):gsub("\n", "\n     ")))
    end
    io.flush()
    collectgarbage()
  end
end
print(string.format("%s: %d passed, %d failed%s", RT.name, passed, failed,
  #na > 0 and string.format(", %d not applicable to this runtime", #na) or ""))
RT.exit(failed == 0 and 0 or 1)
