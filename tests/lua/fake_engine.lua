--------------------------------------------------------------------------------
-- fake_engine.lua: a fake Recoil engine + simulated BAR game for testing
-- widget/export_livedata.lua under real Lua 5.1 and real LuaSocket.
--
-- Return shapes follow the real engine's (Recoil / Spring 106): nine values from
-- GetTeamResources, nil health outside line of sight, Gaia in GetTeamList,
-- GetGameFrame returning frame and days, GetSpectatingState's three values...
-- It also behaves like the engine where the widget's cost and correctness depend on it:
--   timers: GetTimer has 1 ms resolution, GetTimerMicros microseconds (absent with
--     engine = "spring106", as in Spring 106.0), DiffTimers(a, b, inMs, fromMicros);
--     under recoil-lua they are light userdata like the engine's. The clock is the test's (clock = "manual", the
--     default): it moves by advanceClock and by one frame's time at E.speed per step, never by itself
--   GC: stopped during every call-in and run between frames within a time budget
--     (CLuaHandle's RunCallIn / CollectGarbage); E.allocKB is what the call-ins of the
--     last step allocated (collectgarbage("count") deltas, nothing collected meanwhile)
--   UnitDefs: moveDef.smClass is a number (Game.speedModClasses), no moveDef.family
--   orders: UnitCommand(unitID, unitDefID, unitTeam, cmdID, cmdParams, cmdOpts, cmdTag, playerID, fromSynced,
--     fromLua) with cmdOpts a table {coded, alt, ctrl, shift, right, meta, internal}, only for ally teams the client
--     can read (the engine's ITERATE_UNIT_ALLYTEAM_EVENTCLIENTLIST); UnitCreated(unitID, defID, team, builderID)
--     with the builder only when a unit builds it; CMD maps names to ids and ids to names, with the engines' two
--     legacy aliases overwriting their command's name (CMD[20] = "LOOPBACKATTACK", CMD[105] = "DGUN").
--     handler = "spring106": the engines' own widgets.lua, which passes UnitCommand no command id (nil)
-- Runs under lua5.1 and under recoil-lua (tests/lua/runtime.lua).
--
-- local FE = dofile("tests/lua/fake_engine.lua")
-- local E = FE.new{ root = repoRoot, units = 1000, view = "spectator" }
-- local W = E:loadWidget(repoRoot .. "/widget/export_livedata.lua", { port = 47800 })
-- E:initialize(); for i = 1, 300 do E:step() end; E:shutdown()
--------------------------------------------------------------------------------
-- This file's folder: the shared test code beside it is loaded from there.
local DIR = debug.getinfo(1, "S").source:sub(2):match("^(.*)/[^/]*$") or "."
local RT = dofile(DIR .. "/runtime.lua")
local socket = RT.socket

local FE = {}

-- Spring.DiffTimers over this file's timers (milliseconds, or microseconds when `fromMicros`), in seconds or `inMs`.
local function diffTimers(a, b, inMs, fromMicros)
  local d = (a - b) / (fromMicros and 1e6 or 1e3)
  if inMs then return d * 1000 end
  return d
end
FE.__index = FE

local DAY_FRAMES = 30 * 86400
local MAP = 8192
local CELL = 512

--------------------------------------------------------------------------------
-- deterministic RNG (independent of math.random, which the widget uses for jitter).
-- Wichmann-Hill: every product stays below 2^24, so it is exact in 32-bit floats too.
--------------------------------------------------------------------------------
local function rng(seed)
  seed = math.abs(seed or 1)
  local s1 = seed % 30268 + 1
  local s2 = (seed - seed % 30268) / 30268 % 30306 + 1
  local s3 = 7 + seed % 1000
  return function(a, b)
    s1 = (171 * s1) % 30269
    s2 = (172 * s2) % 30307
    s3 = (170 * s3) % 30323
    local f = (s1 / 30269 + s2 / 30307 + s3 / 30323) % 1
    if f >= 1 then f = 0 end -- float rounding of the sum
    if a == nil then return f end
    if b == nil then return math.floor(f * a) + 1 end
    return a + math.floor(f * (b - a + 1))
  end
end

-- MoveDef::SpeedModClass as the engine exports it in Game.speedModClasses (Boat is an alias of Ship)
local SPEED_MOD_CLASSES = { Tank = 0, KBot = 1, Hover = 2, Ship = 3, Boat = 3 }

--------------------------------------------------------------------------------
-- UnitDefs from data/bar-units.tsv
--------------------------------------------------------------------------------
function FE.loadUnitDefs(root)
  local path = root .. "/data/bar-units.tsv"
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  local header
  local defs, rows = {}, {}
  for line in f:lines() do
    local cols = {}
    for c in (line .. "\t"):gmatch("([^\t]*)\t") do cols[#cols + 1] = c end
    if not header then
      header = cols
    else
      local r = {}
      for i, h in ipairs(header) do r[h] = cols[i] end
      rows[#rows + 1] = r
    end
  end
  f:close()
  local ships = 0
  for i, r in ipairs(rows) do
    local speed = tonumber(r.speed) or 0
    -- ground and sea units have a move type; aircraft and buildings an empty moveDef table. Ships alternate between
    -- minWaterDepth > 0 and 0 (some real ships set none), so only smClass tells every one of them apart.
    local moveDef, minWaterDepth = {}, 0
    if speed > 0 and r.can_fly ~= "yes" then
      if r.category == "army_sea" then
        ships = ships + 1
        moveDef = { id = i, name = "boat", smClass = SPEED_MOD_CLASSES.Ship }
        if ships % 2 == 1 then minWaterDepth = 15 end
      else
        moveDef = { id = i, name = "tank", smClass = (i % 2 == 0) and SPEED_MOD_CLASSES.Tank or SPEED_MOD_CLASSES.KBot }
      end
    end
    local isBuilding = r.is_building == "yes"
    local isBuilder = r.is_builder == "yes"
    local cp = { unitgroup = r.unitgroup ~= "" and r.unitgroup or nil }
    if r.category == "commander" then cp.iscommander = "1" end
    -- energy converters (BAR: customParams.energyconv_capacity / _efficiency): 70 energy -> 1 metal a second
    if r.name:match("makr$") then cp.energyconv_capacity = "70"; cp.energyconv_efficiency = "0.01429" end
    if r.tech_level ~= "" then cp.techlevel = r.tech_level end
    defs[i] = {
      id = i,
      name = r.name,
      humanName = r.human_name,
      translatedHumanName = r.human_name,
      metalCost = tonumber(r.metal_cost),
      energyCost = tonumber(r.energy_cost),
      buildTime = tonumber(r.build_time),
      health = tonumber(r.health),
      speed = speed,
      isBuilding = isBuilding,
      isImmobile = isBuilding,
      isBuilder = isBuilder,
      isFactory = r.category == "factory",
      buildSpeed = isBuilder and (r.category == "commander" and 300 or (r.category == "factory" and 150 or 85)) or 0,
      canFly = r.can_fly == "yes",
      isAirUnit = r.can_fly == "yes",
      minWaterDepth = minWaterDepth,
      moveDef = moveDef,
      weapons = r.has_weapons == "yes" and { { weaponDef = 1 } } or {},
      customParams = cp,
      -- passive production (commanders make a little): the Spectator HUD subtracts it from a builder's make to get
      -- what reclaiming brings
      metalMake = r.category == "commander" and 2 or 0,
      energyMake = r.category == "commander" and 25 or 0,
      isCommander = false, -- deprecated in the engine: always false
      _category = r.category, -- the tsv's own category, for tests (not an engine field)
    }
  end
  return defs
end

--------------------------------------------------------------------------------
-- construction
--------------------------------------------------------------------------------
local NORMAL_NAMES = { [0] = "Alice", "Bob", "BARbarianAI", "Dave" }
local HOSTILE_NAMES = {
  [0] = 'Al "the" \\Builder\\',
  'Bob\t\1\31\127 ctl\n',
  'BARbarianAI "quoted" \\ ai',
  'Zoë 漢字 ☃ 😀',
}

function FE.new(opts)
  opts = opts or {}
  local E = setmetatable({}, FE)
  E.opts = opts
  E.root = opts.root or "."
  E.rand = rng(opts.seed or 12345)
  E.target = opts.units or 200
  E.viewMode = opts.view or "spectator" -- spectator | player | replay
  E.frame = 0
  E.paused = false
  E.speed = 1 -- game speed: a step is 1 / (30 * speed) s of the manual clock
  E.gameOver = false
  E.frozen = false
  E.echo = {}
  E.verbose = opts.verbose
  E.callins = {} -- queued call-ins for the widget
  E.defs = FE.loadUnitDefs(E.root)
  E.defsByName = {}
  for i, d in ipairs(E.defs) do E.defsByName[d.name] = i end
  -- what factories queue: the first mobile armed ground unit
  for i, d in ipairs(E.defs) do
    if not E.tankDef and d._category == "army_land" then E.tankDef = i end
  end
  local names = opts.names == "hostile" and HOSTILE_NAMES or NORMAL_NAMES

  -- teams 0..3 in ally teams 0 {0,1} and 1 {2,3}; Gaia is team 4 in ally team 2
  E.gaia = 4
  E.teams = {}
  for t = 0, 4 do
    E.teams[t] = {
      id = t, ally = (t == 4) and 2 or math.floor(t / 2), leader = (t == 4) and -1 or t,
      dead = false, ai = (t == 2), name = names[t] or "Gaia",
      color = { ({ 0, 0.16, 1, 1, 0.5 })[t + 1], ({ 0.31, 0.78, 0.12, 0.78, 0.5 })[t + 1], ({ 1, 0.16, 0.12, 0, 0.5 })[t + 1] },
      metal = { cur = 1000, stor = 1000, inc = 0, exp = 0, produced = 0, excess = 0, used = 0 },
      energy = { cur = 1000, stor = 1000, inc = 0, exp = 0, produced = 0, excess = 0, used = 0 },
      dealt = 0, received = 0, killed = 0, died = 0, base = (t < 2) and { 1500 + t * 800, 1500 } or { 6000 + (t - 2) * 800, 6500 },
    }
  end
  -- players 0..3 lead teams 0..3 (player 2 hosts the AI of team 2), player 4 is a spectator
  E.players = {}
  -- lobby custom keys as BAR sets them: skill "[mu]" ("(mu)" when inferred from the rank, "~mu~" in privacy mode)
  local KEYS = {
    [0] = { skill = "[32.41]", skilluncertainty = "1.92" },
    { skill = "(18)", skilluncertainty = "6.5" },
    {},
    { skill = "~25~", skilluncertainty = "3" },
  }
  local COUNTRY = { [0] = "de", "us", "", "SE" }
  for p = 0, 3 do
    E.players[p] = { name = names[p], team = p, spectator = false, active = true, country = COUNTRY[p], rank = p + 2,
                     keys = KEYS[p] }
  end
  E.players[2].name = "host"
  E.players[4] = { name = "Spec", team = 0, spectator = true, active = true, country = "", rank = 0, keys = {} }
  if E.viewMode == "player" then
    E.me = { player = 0, team = 0, ally = 0, spectating = false, fullView = false }
  else
    E.me = { player = 4, team = 0, ally = 0, spectating = true, fullView = true }
  end
  E.replay = E.viewMode == "replay"

  E.units = {}
  E.order = {}      -- engine's active unit list (swap-removed on death)
  E.index = {}
  E.nextId = 100
  E.count = 0       -- living units (dying ones are still in order for two frames)
  E.deaths = {}     -- ids in the order they died
  E.dying = {}      -- ids still listed after their death
  E.vis = {}        -- unitID -> 2 (LOS) / 1 (radar) for the local ally team
  E.seen = {}       -- unitID -> true once seen in LOS (def known)
  E.visList = {}
  E.history = {}    -- team -> stats history entries
  E.builders = { [0] = {}, {}, {}, {} } -- team -> ids of units that can build (commanders, builders, factories)
  E.orderLog = opts.logOrders and {} or nil -- what the engine reported to the widget: { frame, kind, ... }
  E.handler = opts.handler or "bar"
  -- initial population: commanders + target units, finished
  if opts.noUnits then E.target = 0 end
  for t = 0, 3 do
    if not opts.noUnits then E:spawn(t, E.defsByName[(t % 2 == 0) and "armcom" or "corcom"], true) end
  end
  while E.count < E.target do E:spawn(E:randomTeam(), nil, true) end
  E.callins = {}
  E:updateVisibility()
  E:buildGlobals()
  return E
end

function FE:randomTeam()
  local alive = {}
  for t = 0, 3 do if not self.teams[t].dead then alive[#alive + 1] = t end end
  if #alive == 0 then return 0 end
  return alive[self.rand(#alive)]
end

function FE:spawn(team, defID, finished, builder)
  local r = self.rand
  defID = defID or r(#self.defs)
  local d = self.defs[defID]
  local T = self.teams[team]
  local id = self.nextId
  self.nextId = id + 1 + (r() < 0.1 and 1 or 0)
  local bp = finished and 1 or 0.01
  local u = {
    id = id, def = defID, team = team,
    x = T.base[1] + r(-900, 900) + r() , y = 40 + r(0, 30), z = T.base[2] + r(-900, 900) + r(),
    vx = 0, vy = 0, vz = 0,
    maxHealth = d.health, health = d.health * bp, bp = bp, xp = 0,
    mobile = (d.speed or 0) > 0, speed = (d.speed or 0) / 10,
  }
  if d.canFly then u.y = 300 end
  u.tx, u.tz = u.x, u.z
  if not finished then self:assignBuilder(u, d) end
  self.units[id] = u
  self.order[#self.order + 1] = id
  self.index[id] = #self.order
  self.count = self.count + 1
  if d.isBuilder or d.isFactory then local b = self.builders[team]; b[#b + 1] = id end
  -- the builder only when a unit builds it (a unit the rules spawn has none)
  if self:queueCallin("UnitCreated", id, defID, team, builder) and builder and self.orderLog then
    self.orderLog[#self.orderLog + 1] = { frame = self.frame, kind = "build_started", team = team, unit = id, def = defID,
                                          builder = builder }
  end
  if finished then self:queueCallin("UnitFinished", id, defID, team) end
  return id
end

-- a living unit of the team that can build, taken in turn (dead or given ones leave the list)
function FE:builderOf(team)
  local b = self.builders[team]
  if not b then return nil end
  while #b > 0 do
    local k = (self.frame % #b) + 1
    local u = self.units[b[k]]
    if u and not u.dead and u.team == team then return u.id end
    b[k] = b[#b]; b[#b] = nil
  end
  return nil
end

-- An order given to units (a player's click, an AI, a gadget): the engine calls UnitCommand once per unit, for ally
-- teams the client can read. coded: the option bits (4 meta, 8 internal, 16 right, 32 shift, 64 ctrl, 128 alt).
function FE:giveOrder(ids, cmdID, params, coded, player)
  for _, id in ipairs(ids) do
    local u = self.units[id]
    if u and not u.dead and self:allied(u.team) then
      self.callins[#self.callins + 1] = { "UnitCommand", id, u.def, u.team, { cmdID, params, coded or 0, player } }
      if self.orderLog then
        self.orderLog[#self.orderLog + 1] = { frame = self.frame, kind = "command", team = u.team, unit = id,
          def = u.def, cmd = cmdID, params = params, coded = coded or 0, player = player }
      end
    end
  end
end

-- Who builds a new unit: a mobile one comes out of one of the team's finished factories (its queue grows), a building
-- is built by a finished constructor or commander that is free. Builders that build nothing are idle unless they
-- reclaim (every third one), which makes metal.
function FE:assignBuilder(u, d)
  local mobile = (d.speed or 0) > 0
  local best
  for i = 1, #self.order do
    local b = self.units[self.order[i]]
    if b and b ~= u and not b.dead and b.team == u.team and b.bp >= 1 then
      local bd = self.defs[b.def]
      if mobile and bd.isFactory then
        if not best or (b.queue or 0) < (best.queue or 0) then best = b end
      elseif not mobile and bd.isBuilder and not bd.isFactory and not b.building then
        best = b
        break
      end
    end
  end
  if not best then return end
  u.builtBy = best.id
  if self.defs[best.def].isFactory then
    best.queue = (best.queue or 0) + 1
    if not best.building then best.building = u.id end
  else
    best.building = u.id
  end
end

-- A unit finished or died: its builder moves on (a factory to the next unit it was given).
function FE:releaseBuilder(u)
  local b = u.builtBy and self.units[u.builtBy]
  u.builtBy = nil
  if not b then return end
  if b.queue then b.queue = math.max(0, b.queue - 1) end
  if b.building == u.id then
    b.building = nil
    if self.defs[b.def].isFactory then
      for i = 1, #self.order do
        local o = self.units[self.order[i]]
        if o and not o.dead and o.builtBy == b.id then b.building = o.id; break end
      end
    end
  end
end

-- the engine's options table for coded bits (LuaUtils::PushCommandOptionsTable)
local function optionsTable(c)
  local function bit(b) return c % (2 * b) >= b end
  return { coded = c, alt = bit(128), ctrl = bit(64), shift = bit(32), right = bit(16), meta = bit(4), internal = bit(8) }
end

-- Like the real engine (seen in Spring 106): UnitDestroyed comes at once, but the unit stays in GetAllUnits for the
-- next two GameFrames with GetUnitIsDead true and health <= 0; FE:reap removes it after them.
function FE:kill(id)
  local u = self.units[id]
  if not u or u.dead then return end
  self:queueCallin("UnitDestroyed", id, u.def, u.team)
  self:releaseBuilder(u)
  if u.building then
    local t = self.units[u.building]
    if t and t.builtBy == id then t.builtBy = nil end
    u.building = nil
  end
  u.dead, u.lingers = true, 2
  self.dying[#self.dying + 1] = id
  if u.health > 0 then u.health = 0 end
  u.vx, u.vz = 0, 0
  self.count = self.count - 1
  self.deaths[#self.deaths + 1] = id
end

function FE:reap()
  local keep = {}
  for _, id in ipairs(self.dying) do
    if self.units[id].lingers <= 0 then self:remove(id) else keep[#keep + 1] = id end
  end
  self.dying = keep
end

function FE:remove(id)
  self.units[id] = nil
  local i = self.index[id]
  local last = self.order[#self.order]
  self.order[i] = last
  self.index[last] = i
  self.order[#self.order] = nil
  self.index[id] = nil
end

-- can the local client read this unit's team data (own ally team or full view)?
function FE:allied(team)
  if self.me.spectating and self.me.fullView then return true end
  return self.teams[team].ally == self.me.ally
end

function FE:queueCallin(name, id, def, team, extra)
  local u = self.units[id]
  -- unit call-ins reach a widget only for units it can read
  if u and not (self:allied(u.team) or (self.vis[id] or 0) >= 2) then return false end
  self.callins[#self.callins + 1] = { name, id, def, team, extra }
  return true
end

--------------------------------------------------------------------------------
-- simulation
--------------------------------------------------------------------------------
function FE:updateVisibility()
  local vis, seen = {}, self.seen
  local list = {}
  if self.me.spectating and self.me.fullView then
    for i = 1, #self.order do
      local id = self.order[i]
      vis[id] = 2; seen[id] = true; list[i] = id
    end
  else
    -- LOS: cells with or next to a unit of the local ally team; radar: two cells out
    local cells = {}
    local myAlly = self.me.ally
    for i = 1, #self.order do
      local u = self.units[self.order[i]]
      if self.teams[u.team].ally == myAlly then
        cells[math.floor(u.x / CELL) * 64 + math.floor(u.z / CELL)] = true
      end
    end
    local n = 0
    for i = 1, #self.order do
      local id = self.order[i]
      local u = self.units[id]
      local level
      if self.teams[u.team].ally == myAlly then
        level = 2
      else
        local cx, cz = math.floor(u.x / CELL), math.floor(u.z / CELL)
        for dx = -2, 2 do
          for dz = -2, 2 do
            if cells[(cx + dx) * 64 + cz + dz] then
              local l = (math.abs(dx) <= 1 and math.abs(dz) <= 1) and 2 or 1
              if not level or l > level then level = l end
            end
          end
        end
      end
      if level then
        vis[id] = level
        if level == 2 then seen[id] = true end
        n = n + 1; list[n] = id
      end
    end
  end
  -- enemies leaving line of sight / radar: the engine tells the widget (UnitLeftLos / UnitLeftRadar)
  local old = self.vis
  if old and not (self.me.spectating and self.me.fullView) then
    for id, level in pairs(old) do
      local u = self.units[id]
      local now = vis[id]
      if u and level == 2 and (now or 0) < 2 and self.teams[u.team].ally ~= self.me.ally then
        self.callins[#self.callins + 1] = { "UnitLeftLos", id, u.team }
      end
      if u and now == nil then
        self.callins[#self.callins + 1] = { "UnitLeftRadar", id, u.team }
      end
    end
  end
  if old and not (self.me.spectating and self.me.fullView) then
    for id, now in pairs(vis) do
      local u = self.units[id]
      local was = old[id]
      if self.teams[u.team].ally ~= self.me.ally then
        if was == nil then self.callins[#self.callins + 1] = { "UnitEnteredRadar", id, u.team } end
        if now == 2 and (was or 0) < 2 then self.callins[#self.callins + 1] = { "UnitEnteredLos", id, u.team } end
      end
    end
  end
  self.vis = vis
  self.visList = list
end

function FE:simStep()
  local r = self.rand
  local f = self.frame
  -- resources
  for t = 0, 3 do
    local T = self.teams[t]
    for _, res in ipairs({ "metal", "energy" }) do
      local R = T[res]
      if f % 30 == 0 then
        local k = res == "metal" and 1 or 10
        R.inc = (T.dead and 0) or (5 + r() * 20) * k
        R.exp = (T.dead and 0) or (3 + r() * 18) * k
        R.stor = R.stor + (r() < 0.1 and 500 or 0)
      end
      local delta = (R.inc - R.exp) / 30
      R.produced = R.produced + R.inc / 30
      R.used = R.used + R.exp / 30
      R.cur = R.cur + delta
      if R.cur > R.stor then R.excess = R.excess + (R.cur - R.stor); R.cur = R.stor end
      if R.cur < 0 then R.cur = 0 end
    end
    if f % 450 == 0 then
      local h = self.history[t] or {}
      h[#h + 1] = { time = f / 30, frame = f, damageDealt = T.dealt, damageReceived = T.received,
                    metalProduced = T.metal.produced, energyProduced = T.energy.produced }
      self.history[t] = h
    end
  end
  -- units: build, move
  for i = 1, #self.order do
    local u = self.units[self.order[i]]
    if u.dead then
      -- dying: listed, but no longer built, moved, hit or given
    elseif u.bp < 1 then
      u.bp = math.min(1, u.bp + 0.02)
      u.health = math.min(u.maxHealth, u.health + u.maxHealth * 0.02)
      if u.bp >= 1 then
        self:releaseBuilder(u)
        self:queueCallin("UnitFinished", u.id, u.def, u.team)
      end
    elseif u.mobile then
      local dx, dz = u.tx - u.x, u.tz - u.z
      local d = math.sqrt(dx * dx + dz * dz)
      if d < u.speed * 2 then
        u.tx = math.max(0, math.min(MAP, u.x + r(-1500, 1500)))
        u.tz = math.max(0, math.min(MAP, u.z + r(-1500, 1500)))
        if r() < 0.2 then u.tx, u.tz = MAP / 2 + r(-800, 800), MAP / 2 + r(-800, 800) end
        u.vx, u.vz = 0, 0
        -- its player moved it there (every fourth queued with shift); no extra random draws: seeds play the same
        self:giveOrder({ u.id }, 10, { u.tx, u.y, u.tz }, (u.id % 4 == 0) and 32 or 0, self.teams[u.team].leader)
      else
        u.vx, u.vz = dx / d * u.speed, dz / d * u.speed
        u.x, u.z = u.x + u.vx, u.z + u.vz
      end
    end
  end
  -- damage and deaths
  local hits = math.max(1, math.floor(self.count / 60))
  for _ = 1, hits do
    local id = self.order[r(#self.order)]
    local u = id and self.units[id]
    if u and not u.dead then
      local dmg = r() * u.maxHealth * 0.6
      u.health = u.health - dmg
      u.xp = u.xp + 0.001
      self.teams[u.team].received = self.teams[u.team].received + dmg
      local other = (u.team + 2) % 4
      self.teams[other].dealt = self.teams[other].dealt + dmg
      if u.health <= 0 then
        self:kill(id)
        self.teams[u.team].died = self.teams[u.team].died + 1
        self.teams[other].killed = self.teams[other].killed + 1
      end
    end
  end
  -- production keeps the population near the target, each new unit started by a builder of its team
  local spawns = 0
  while self.count < self.target and self.count > 0 and spawns < math.max(1, math.floor(self.target / 100)) do
    local t = self:randomTeam()
    self:spawn(t, nil, false, self:builderOf(t))
    spawns = spawns + 1
  end
  self:scriptedOrders(f)
  -- occasional gift between allies
  if f % 97 == 0 and #self.order > 0 then
    local id = self.order[r(#self.order)]
    local u = self.units[id]
    if u and not u.dead and not self.teams[u.team].dead then
      local old = u.team
      local new = (old % 2 == 0) and old + 1 or old - 1
      if not self.teams[new].dead then
        u.team = new
        self:queueCallin("UnitTaken", id, u.def, old, new)
        self:queueCallin("UnitGiven", id, u.def, new, old)
      end
    end
  end
end

-- Orders a player gives now and then, from the game's state only (no random draws): a group of up to 12 finished
-- mobile units of each team sent to fight at the map's centre (shift) every 150 frames; every 90 frames each team's
-- first factory queues a unit (options cycling none, shift, ctrl, shift+ctrl, right: +1, +5, +20, +100, -1)
local QUEUE_OPTS = { 0, 32, 64, 96, 16 }
function FE:scriptedOrders(f)
  if f % 150 ~= 75 and f % 90 ~= 45 then return end
  for t = 0, 3 do
    local T = self.teams[t]
    if not T.dead then
      local group, factory = {}, nil
      for i = 1, #self.order do
        local u = self.units[self.order[i]]
        if u.team == t and not u.dead and u.bp >= 1 then
          if u.mobile and #group < 12 then group[#group + 1] = u.id end
          if not factory and self.defs[u.def].isFactory then factory = u end
        end
      end
      if f % 150 == 75 and #group > 0 then self:giveOrder(group, 16, { MAP / 2, 0, MAP / 2 }, 32, T.leader) end
      if f % 90 == 45 and factory then
        local c = QUEUE_OPTS[(f - 45) / 90 % #QUEUE_OPTS + 1]
        self:giveOrder({ factory.id }, -self.tankDef, {}, c, T.leader)
      end
    end
  end
end

-- kill a team: all its units die, TeamDied call-in
function FE:killTeam(t)
  local ids = {}
  for i = 1, #self.order do
    local id = self.order[i]
    if self.units[id].team == t then ids[#ids + 1] = id end
  end
  for _, id in ipairs(ids) do self:kill(id) end
  self.teams[t].dead = true
  self.callins[#self.callins + 1] = { "TeamDied", t }
end

--------------------------------------------------------------------------------
-- the Spring table and other globals
--------------------------------------------------------------------------------
function FE:buildGlobals()
  local E = self
  local S = {}
  local function unitVisible(id)
    local u = E.units[id]
    if not u then return nil end
    local v = E.vis[id]
    if not v then return nil end
    return u, v
  end
  S.Echo = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    local line = table.concat(parts, " ")
    E.echo[#E.echo + 1] = line
    if E.verbose then io.stderr:write(line, "\n") end
  end
  S.Log = function(section, level, ...) S.Echo(...) end
  -- The engine's timers are light userdata (no garbage) holding integer milliseconds (GetTimer) or microseconds
  -- (GetTimerMicros); DiffTimers(a, b, inMs, fromMicros) subtracts them and returns seconds or milliseconds.
  -- recoil-lua makes the same; under lua5.1 a double of whole ms / us plays that role.
  -- clock = "manual" (the default): the clock stands still but for advanceClock and one frame's time per step (at
  -- E.speed), so no test depends on how busy the machine is; "wall" (the benchmark, the harness): real time.
  E.manualClock = (self.opts.clock or "manual") == "manual"
  if RT.timers then
    S.GetTimer, S.GetTimerMicros, S.DiffTimers = RT.timers.GetTimer, RT.timers.GetTimerMicros, RT.timers.DiffTimers
    RT.timers.FreezeTimers(E.manualClock)
  else
    local gettime, floor = socket.gettime, math.floor
    E.clockOffset = 0
    E.clockUs = 1e6 -- the manual clock, in microseconds (a double here)
    S.GetTimer = function()
      if E.manualClock then return floor(E.clockUs / 1e3) end
      return floor((gettime() + E.clockOffset) * 1e3)
    end
    S.GetTimerMicros = function()
      if E.manualClock then return E.clockUs end
      return floor((gettime() + E.clockOffset) * 1e6)
    end
    S.DiffTimers = diffTimers
  end
  S.GetGameFrame = function() return E.frame % DAY_FRAMES, math.floor(E.frame / DAY_FRAMES) end
  S.GetGameSeconds = function() return E.frame / 30 end
  S.GetGameSpeed = function() return E.speed, E.paused and 0 or E.speed, E.paused end
  S.GetGaiaTeamID = function() return E.gaia end
  S.GetTeamList = function(ally)
    local l = {}
    for t = 0, 4 do
      if ally == nil or E.teams[t].ally == ally then l[#l + 1] = t end
    end
    return l
  end
  S.GetAllyTeamList = function() return { 0, 1, 2 } end
  S.GetTeamInfo = function(t)
    local T = E.teams[t]
    if not T then return nil end
    -- the engine keeps side names lower case
    return t, T.leader, T.dead, T.ai, (t % 2 == 0) and "armada" or "cortex", T.ally, 1, {}
  end
  -- Recoil's shape: name, active, spectator, team, allyTeam, ping, cpu, country, rank, hasSkirmishAIsInTeam,
  -- customKeys, desynced (Spring 106 has no hasSkirmishAIsInTeam: customKeys come 10th)
  S.GetPlayerInfo = function(p, getKeys)
    local P = E.players[p]
    if not P then return nil end
    local keys = getKeys ~= false and P.keys or nil
    if E.opts.engine == "spring106" then
      return P.name, P.active, P.spectator, P.team, E.teams[P.team].ally, 20, 0.1, P.country, P.rank, keys
    end
    return P.name, P.active, P.spectator, P.team, E.teams[P.team].ally, 20, 0.1, P.country, P.rank, false, keys, false
  end
  S.GetPlayerList = function(team)
    local l = {}
    for p = 0, 4 do
      if E.players[p] and (team == nil or team < 0 or E.players[p].team == team) then l[#l + 1] = p end
    end
    return l
  end
  S.GetAIInfo = function(t)
    local T = E.teams[t]
    if not (T and T.ai) then return nil end
    return 0, T.name, 2, "BARb", "stable", {}
  end
  S.GetGameRulesParam = function(name) return nil end
  -- the game's modoptions (strings, as the engine gives them); E.modOptions before loading the widget
  S.GetModOptions = function()
    local t = {}
    for k, v in pairs(E.modOptions or {}) do t[k] = v end
    return t
  end
  S.GetTeamColor = function(t)
    local c = E.teams[t].color
    return c[1], c[2], c[3], 1
  end
  S.GetTeamResources = function(t, res)
    local T = E.teams[t]
    if not T or not E:allied(t) then return nil end
    local R = T[res]
    if not R then return nil end
    -- current, storage, pull, income, expense, share, sent, received, excess
    return R.cur, R.stor, R.exp, R.inc, R.exp, 0.99, 0, 0, R.excess
  end
  S.GetTeamResourceStats = function(t, res)
    local T = E.teams[t]
    if not T or not (E:allied(t) or E.gameOver) then return nil end
    local R = (res == "m" or res == "metal") and T.metal or T.energy
    return R.used, R.produced, R.excess, 0, 0
  end
  S.GetTeamUnitStats = function(t)
    local T = E.teams[t]
    if not T or not (E:allied(t) or E.gameOver) then return nil end
    return T.killed, T.died, 0, 0, 0, 0
  end
  S.GetTeamDamageStats = function(t)
    local T = E.teams[t]
    if not T or not (E:allied(t) or E.gameOver) then return nil end
    return T.dealt, T.received
  end
  -- what a unit is building: allied units only (the engine hides an enemy's)
  local function alliedUnit(id)
    local u = E.units[id]
    if not u or u.dead or not E:allied(u.team) then return nil end
    return u
  end
  S.GetUnitIsBuilding = function(id)
    local u = alliedUnit(id)
    return u and u.building
  end
  -- count 0 asks for the number of commands
  S.GetUnitCommands = function(id, count)
    local u = alliedUnit(id)
    if not u then return nil end
    local n = (u.building or (u.id % 3 == 0)) and 1 or 0
    if count == 0 then return n end
    local l = {}
    for i = 1, n do l[i] = { id = -1, params = {}, options = {} } end
    return l
  end
  S.GetFactoryCommands = function(id, count)
    local u = alliedUnit(id)
    if not u or not E.defs[u.def].isFactory then return nil end
    local n = u.queue or 0
    if count == 0 then return n end
    local l = {}
    for i = 1, n do l[i] = { id = -1, params = {}, options = {} } end
    return l
  end
  -- metalMake, metalUse, energyMake, energyUse: passive make, plus reclaim for a builder that reclaims (every third
  -- idle one: 1.5 metal and 4 energy a second), plus conversion for a converter with energy in store
  S.GetUnitResources = function(id)
    local u = alliedUnit(id)
    if not u or u.bp < 1 then return nil end
    local d = E.defs[u.def]
    local mm, em = d.metalMake or 0, d.energyMake or 0
    local mu, eu = 0, 0
    if d.isBuilder and not d.isFactory and not u.building and u.id % 3 == 0 then mm, em = mm + 1.5, em + 4 end
    if d.customParams.energyconv_capacity and E.teams[u.team].energy.cur > 100 then mm, eu = mm + 1, eu + 70 end
    return mm, mu, em, eu
  end
  S.GetTeamStatsHistory = function(t, i, j)
    local T = E.teams[t]
    if not T or not (E:allied(t) or E.gameOver) then return nil end
    local h = E.history[t] or {}
    if i == nil then return #h end
    local out = {}
    for k = i, (j or i) do if h[k] then out[#out + 1] = h[k] end end
    return out
  end
  S.GetAllUnits = function()
    local l, src = {}, E.visList
    for i = 1, #src do l[i] = src[i] end
    return l
  end
  S.GetTeamUnits = function(t)
    local l = {}
    for _, id in ipairs(E.visList) do if E.units[id].team == t then l[#l + 1] = id end end
    return l
  end
  -- units of the given defs (one id or a list); like the engine, only for a team the view may read
  S.GetTeamUnitsByDefs = function(t, defs)
    if not (E:allied(t) or E.gameOver) then return nil end
    local want = {}
    if type(defs) == "table" then for _, d in ipairs(defs) do want[d] = true end else want[defs] = true end
    local l = {}
    for _, id in ipairs(E.visList) do
      local u = E.units[id]
      if u.team == t and want[u.def] then l[#l + 1] = id end
    end
    return l
  end
  S.GetUnitDefID = function(id)
    local u, v = unitVisible(id)
    if not u then return nil end
    if v < 2 and not E.seen[id] then return nil end
    return u.def
  end
  S.GetUnitTeam = function(id)
    local u = unitVisible(id)
    return u and u.team
  end
  S.GetUnitAllyTeam = function(id)
    local u = unitVisible(id)
    return u and E.teams[u.team].ally
  end
  S.GetUnitPosition = function(id)
    local u, v = unitVisible(id)
    if not u then return nil end
    if v < 2 then
      -- radar blip: deliberate, stable position error
      local e = (id % 7 - 3) * 16
      return u.x + e, u.y, u.z - e
    end
    return u.x, u.y, u.z
  end
  S.GetUnitHealth = function(id)
    local u, v = unitVisible(id)
    if not u or v < 2 then return nil end
    return u.health, u.maxHealth, 0, 0, u.bp
  end
  S.GetUnitVelocity = function(id)
    local u, v = unitVisible(id)
    if not u or v < 2 then return nil end
    return u.vx, u.vy, u.vz, math.sqrt(u.vx * u.vx + u.vz * u.vz)
  end
  S.GetUnitExperience = function(id)
    local u, v = unitVisible(id)
    if not u or v < 2 then return nil end
    return u.xp, 0
  end
  S.GetUnitIsDead = function(id)
    local u = unitVisible(id)
    if not u then return nil end
    return u.dead == true
  end
  S.ValidUnitID = function(id) return unitVisible(id) ~= nil end
  S.GetSpectatingState = function() return E.me.spectating, E.me.fullView, E.me.fullView end
  S.GetMyPlayerID = function() return E.me.player end
  S.GetLocalPlayerID = function() return E.me.player end
  S.GetMyTeamID = function() return E.me.team end
  S.GetMyAllyTeamID = function() return E.me.ally end
  S.IsReplay = function() return E.replay end
  S.IsGameOver = function() return E.gameOver end
  S.GetViewGeometry = function() return 1920, 1080, 0, 0 end
  -- virtualClock = N: a clock that moves N microseconds per Spring call the widget makes and not otherwise, so the
  -- widget's own cost measurement can be checked exactly (E.vclock, in us, stays far below 2^24 in a test)
  if self.opts.virtualClock then
    local per, floor = self.opts.virtualClock, math.floor
    E.vclock = 1000000
    for name, f in pairs(S) do
      S[name] = function(...) E.vclock = E.vclock + per; return f(...) end
    end
    S.GetTimer = function() return floor(E.vclock / 1000) end
    S.GetTimerMicros = function() return E.vclock end
    S.DiffTimers = diffTimers
  end
  if self.opts.engine == "spring106" then
    S.GetTimerMicros = nil -- Recoil added it
    S.GetTeamDamageStats = nil -- and this (the widget then reads the last stats history entry)
  end
  self.Spring = S

  self.glCalls = { text = 0, color = 0, last = nil }
  local gl = {
    Text = function(s) E.glCalls.text = E.glCalls.text + 1; E.glCalls.last = s end,
    Color = function() E.glCalls.color = E.glCalls.color + 1 end,
  }
  self.gl = gl

  self.actions = {}
  local wh = {}
  function wh:AddAction(name, fn, data, types) E.actions[name] = fn; return true end
  function wh:RemoveAction(name) E.actions[name] = nil; return true end
  self.widgetHandler = wh

  self.WG = {}
  if self.opts.options ~= false then
    self.options = {}
    self.WG["options"] = {
      addOptions = function(list) for _, o in ipairs(list) do E.options[o.id] = o end end,
      -- BAR's gui_options.lua lists category 2 ("advanced") only when the user turned advanced settings on
      isShown = function(id, advanced)
        local o = E.options[id]
        return o ~= nil and (advanced or o.category ~= 2)
      end,
      removeOptions = function(ids) for _, id in ipairs(ids) do E.options[id] = nil end end,
    }
  end

  local UD = {}
  for i, d in ipairs(self.defs) do UD[i] = d end
  self.UnitDefs = UD
  local smc = {}
  for k, v in pairs(SPEED_MOD_CLASSES) do smc[k] = v end
  self.Game = { gameName = "Beyond All Reason", gameVersion = "test-27301-3a1c2e4", mapName = "Supreme Isthmus v1.8",
                speedModClasses = smc }
  self.Engine = { version = "2025.04.08" }
  -- CMD as LuaConstCMD makes it: names to ids and ids to names; the legacy aliases come later and win
  local CMD = {}
  for _, p in ipairs({ { "STOP", 0 }, { "INSERT", 1 }, { "REMOVE", 2 }, { "WAIT", 5 }, { "MOVE", 10 },
      { "PATROL", 15 }, { "FIGHT", 16 }, { "ATTACK", 20 }, { "AREA_ATTACK", 21 }, { "GUARD", 25 }, { "REPAIR", 40 },
      { "RECLAIM", 90 }, { "MANUALFIRE", 105 }, { "REPEAT", 115 }, { "FIRE_STATE", 45 }, { "MOVE_STATE", 50 },
      { "DGUN", 105 }, { "LOOPBACKATTACK", 20 } }) do
    CMD[p[1]] = p[2]; CMD[p[2]] = p[1]
  end
  CMD.OPT_ALT, CMD.OPT_CTRL, CMD.OPT_SHIFT, CMD.OPT_RIGHT, CMD.OPT_INTERNAL, CMD.OPT_META = 128, 64, 32, 16, 8, 4
  self.CMD = CMD
end

--------------------------------------------------------------------------------
-- loading and driving the widget
--------------------------------------------------------------------------------
local CALLINS = {
  GetInfo = true, Initialize = true, Shutdown = true, GameFrame = true, Update = true, GameStart = true,
  GameOver = true, GamePaused = true, TeamDied = true, PlayerChanged = true, PlayerAdded = true, PlayerRemoved = true,
  UnitCreated = true,
  UnitFinished = true, UnitDestroyed = true, UnitGiven = true, UnitTaken = true, UnitEnteredLos = true,
  UnitLeftLos = true, UnitEnteredRadar = true, UnitLeftRadar = true, DrawScreen = true, GetConfigData = true, SetConfigData = true, TextCommand = true,
  UnitCommand = true,
}

-- Load the widget file the way BAR does: its own environment whose __index is the
-- engine's globals; `widget` is that environment. With strict=true a write of any
-- name that is not a call-in raises an error (a leaked global).
function FE:loadWidget(path, config, strict)
  local f = assert(io.open(path, "rb"))
  local src = f:read("*a")
  f:close()
  local chunk = assert(loadstring(src, "@" .. path))
  local globals = setmetatable({
    Spring = self.Spring, gl = self.gl, Game = self.Game, Engine = self.Engine, UnitDefs = self.UnitDefs, CMD = self.CMD,
    WG = self.WG, widgetHandler = self.widgetHandler, socket = self.socketOverride or socket,
  }, { __index = _G })
  self.leaks = {}
  local E = self
  local env = setmetatable({}, {
    __index = globals,
    __newindex = function(t, k, v)
      if not CALLINS[k] then
        E.leaks[#E.leaks + 1] = tostring(k)
        if strict then error("widget wrote global '" .. tostring(k) .. "'", 2) end
      end
      rawset(t, k, v)
    end,
  })
  rawset(env, "widget", env)
  setfenv(chunk, env)
  chunk()
  self.widget = env
  if config and env.SetConfigData then env:SetConfigData(config) end
  return env
end

-- move the engine's clock forward (timeouts and backoff without waiting; with the manual clock, time itself)
function FE:advanceClock(seconds)
  if RT.timers then RT.timers.AdvanceTimers(seconds)
  elseif self.manualClock then self.clockUs = self.clockUs + math.floor(seconds * 1e6 + 0.5)
  else self.clockOffset = self.clockOffset + seconds end
end

-- Call a widget call-in as the engine does: the garbage collector is stopped (the engine stops it after every
-- call-in and collects only in its own CollectGarbage step between frames, see FE:step), so collectgarbage("count")
-- grows by exactly what the call-in allocated. Adds its CPU time to self.cost (ms) and its allocation to
-- self.allocKB. CPU time, not wall time: on a loaded machine wall time adds other processes' slices.
local cpuStart, cpuMs = RT.cpuStart, RT.cpuMs
function FE:call(name, ...)
  local w = self.widget
  local fn = w and rawget(w, name)
  if not fn then return end
  collectgarbage("stop") -- again: a test's collectgarbage("collect") turns it back on
  local kb = collectgarbage("count")
  local t = cpuStart()
  fn(w, ...)
  self.cost = (self.cost or 0) + cpuMs(t)
  self.allocKB = (self.allocKB or 0) + (collectgarbage("count") - kb)
end

-- Between frames, the engine's CollectGarbage: incremental steps within a time budget. A cycle starts when the
-- heap has doubled since the last one ended (Lua's own default pause) and may take many frames, as in the game,
-- where LuaUI's heap is large: at each cycle's end Lua shrinks its string buffer, stacks and string table, which
-- the next frame's call-ins then grow again, and a test's small heap must not turn that into an every-frame cost.
function FE:collectGarbage()
  local budget = self.opts.gcBudgetMs or 5
  if budget <= 0 then return end
  local kb = collectgarbage("count")
  self.gcBase = self.gcBase or kb
  if self.gcActive or kb > 2 * self.gcBase then
    self.gcActive = true
    local t = cpuStart()
    repeat
      if collectgarbage("step", 0) then
        self.gcActive = false
        self.gcBase = collectgarbage("count")
        break
      end
    until cpuMs(t) >= budget
    if self.gcActive and collectgarbage("count") > 4 * self.gcBase then
      collectgarbage("collect") -- the steps fall behind the test's allocation: catch up
      self.gcActive = false
      self.gcBase = collectgarbage("count")
    end
  end
  collectgarbage("stop") -- a step turns the collector back on
end

function FE:initialize()
  self:call("Initialize")
end

function FE:deliverCallins()
  local q = self.callins
  self.callins = {}
  for i = 1, #q do
    local c = q[i]
    if c[1] == "TeamDied" then
      self:call("TeamDied", c[2])
    elseif c[1] == "UnitLeftLos" or c[1] == "UnitLeftRadar" or c[1] == "UnitEnteredLos" or c[1] == "UnitEnteredRadar" then
      self:call(c[1], c[2], c[3])
    elseif c[1] == "UnitGiven" or c[1] == "UnitTaken" then
      self:call(c[1], c[2], c[3], c[4], c[5])
    elseif c[1] == "UnitCommand" then
      local o = c[5]
      -- the engines' own widgets.lua passes an undefined global instead of the command id; BAR's handler passes it
      local cmdID = self.handler ~= "spring106" and o[1] or nil
      local params = {}
      for k = 1, #o[2] do params[k] = o[2][k] end -- a new table per call, as the engine pushes
      self:call("UnitCommand", c[2], c[3], c[4], cmdID, params, optionsTable(o[3]), 0, o[4], false, false)
    else
      self:call(c[1], c[2], c[3], c[4], c[5])
    end
  end
end

-- one simulated frame: sim, call-ins, GameFrame, Update, DrawScreen. Returns the
-- widget's cost for this frame in ms (DrawScreen excluded: it is drawn per render frame).
function FE:step(dt)
  self.cost = 0
  self.allocKB = 0
  if self.manualClock then self:advanceClock(self.paused and (dt or 1 / 30) or 1 / (30 * self.speed)) end
  if not self.paused then
    self.frame = self.frame + 1
    self:reap()
    if not self.frozen then self:simStep() end
    self:updateVisibility()
    if self.frame == 1 then self.callins[#self.callins + 1] = { "GameStart" } end
    local q = self.callins
    self.callins = {}
    for i = 1, #q do
      if q[i][1] == "GameStart" then self:call("GameStart") else self.callins[#self.callins + 1] = q[i] end
    end
    self:deliverCallins()
    self:call("GameFrame", self.frame)
    for _, id in ipairs(self.dying) do
      local u = self.units[id]
      u.lingers = u.lingers - 1
    end
  end
  self:call("Update", dt or 1 / 30)
  local c = self.cost
  self:collectGarbage()
  local w = self.widget
  if w and rawget(w, "DrawScreen") then w:DrawScreen() end
  return c
end

function FE:setPaused(p, playerID)
  self.paused = p
  self:call("GamePaused", playerID or 0, p)
end

-- a spectator switches view (PlayerChanged call-in)
function FE:setView(team, fullView)
  self.me.team = team
  self.me.ally = self.teams[team].ally
  self.me.fullView = fullView
  self.seen = {}
  self:updateVisibility()
  self:call("PlayerChanged", self.me.player)
end

function FE:endGame()
  self.gameOver = true
  self:call("GameOver")
end

function FE:shutdown()
  self:call("Shutdown")
end

function FE:command(line)
  local words = {}
  for w in line:gmatch("%S+") do words[#words + 1] = w end
  local name = table.remove(words, 1)
  local fn = self.actions[name]
  if not fn then return false end
  fn(name, table.concat(words, " "), words)
  return true
end

function FE:status()
  local wg = self.WG["livedata"]
  return wg and wg.status()
end

--------------------------------------------------------------------------------
-- the Spectator HUD's values of a team, from the fake engine's own state (not through the calls the widget makes):
-- what the widget's walk over the team's units must find. Factories and constructions keyed by unit id.
--------------------------------------------------------------------------------
function FE:hudTruth(team)
  local T = self.teams[team]
  local r = { util = 0, econ = 0, mrec = 0, erec = 0, conv = 0, idle = 0, factories = {}, constructing = {},
              killed = T.killed, died = T.died, dealt = T.dealt, received = T.received }
  for _, id in ipairs(self.order) do
    local u = self.units[id]
    if u and not u.dead and u.team == team and u.bp >= 1 then
      local d = self.defs[u.def]
      local g = d.customParams.unitgroup
      if g == "util" then r.util = r.util + d.metalCost end
      if g == "metal" or g == "energy" then r.econ = r.econ + d.metalCost end
      if d.customParams.energyconv_capacity and T.energy.cur > 100 then r.conv = r.conv + 1 end
      if d.isFactory then
        local b = u.building and self.units[u.building]
        r.factories[id] = { def = u.def, building = b and b.def, progress = b and b.bp, queued = u.queue or 0 }
      elseif d.isBuilder and d.buildSpeed > 0 then
        if u.building then
          local b = self.units[u.building]
          local c = r.constructing[u.building] or { def = b.def, progress = b.bp, builders = 0 }
          c.builders = c.builders + 1
          r.constructing[u.building] = c
        elseif id % 3 == 0 then -- reclaiming (see GetUnitResources)
          r.mrec, r.erec = r.mrec + 1.5, r.erec + 4
        else
          r.idle = r.idle + 1
        end
      end
    end
  end
  return r
end

--------------------------------------------------------------------------------
-- ground truth for the current view, read through the same public calls
--------------------------------------------------------------------------------
function FE:truth()
  local S = self.Spring
  local units = {}
  for _, id in ipairs(self.visList) do
    if not self.units[id].dead then -- dying units are gone for the game (the widget must skip them)
      local x, y, z = S.GetUnitPosition(id)
      local h, mh, _, _, bp = S.GetUnitHealth(id)
      units[#units + 1] = {
        id = id, def_id = S.GetUnitDefID(id), team = S.GetUnitTeam(id),
        pos = { x = x, y = y, z = z },
        health = h and { current = h, max = mh } or nil,
        build_progress = (bp and bp < 1) and bp or nil,
      }
    end
  end
  local teams = {}
  for t = 0, 3 do
    local T = self.teams[t]
    local entry = { team_id = t, ally_team_id = T.ally, name = T.name, is_dead = T.dead }
    for _, res in ipairs({ "metal", "energy" }) do
      local cur, stor, _, inc, exp = S.GetTeamResources(t, res)
      if cur then entry[res] = { current = cur, storage = stor, income = inc, expense = exp } end
    end
    teams[#teams + 1] = entry
  end
  return {
    frame = self.frame,
    view = { player_id = self.me.player, team_id = self.me.team, ally_team_id = self.me.ally,
             spectating = self.me.spectating or self.replay, full_view = (self.me.spectating or self.replay) and self.me.fullView },
    units = units,
    teams = teams,
  }
end

return FE
