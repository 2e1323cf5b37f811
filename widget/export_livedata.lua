--------------------------------------------------------------------------------
-- export_livedata.lua: BAR Live Data Export (protocol v1, see SCHEMA.md)
--
-- Streams the game state as newline-delimited JSON over a non-blocking TCP
-- connection to 127.0.0.1:47800 (the BAR Live Overlay, or any other reader).
-- One self-contained file: drop it into <BAR data dir>/LuaUI/Widgets/.
--
-- Sections, in order:
--   Engine functions cached as locals
--   Config                       settings (saved in BYAR.lua) and tuning constants
--   State                        what the widget tracks between frames
--   Helpers
--   Encoding                     schema-specific JSON: strings, numbers as cached texts
--   Collection: static-ish data  hello, teams, unit defs, view
--   Protocol 1.1                 the Spectator HUD's team values, production, player cards
--   Collection: per snapshot     team states, units (dead band, resend), the unit scan
--   Queue                        whole lines, oldest snapshots dropped first, chunked sends
--   Decision points              protocol 1.2 `orders`: commands, builds started, factory queues
--   Socket state machine         non-blocking connect, backoff, sends within a budget
--   Status, throttling           the status line, adaptive unit rate (wall and game time)
--   Snapshot scheduling          full or delta, and when
--   Commands and settings        /livedata ..., BAR's settings menu
--   Call-ins                     every one guarded: an error never unloads the widget
--------------------------------------------------------------------------------

function widget:GetInfo()
  return {
    name    = "Live Data Export",
    desc    = "Streams live game data (protocol v1) to a local overlay over TCP (/livedata status)",
    author  = "BAR Live Overlay project",
    date    = "2026",
    license = "MIT",
    layer   = 0,
    enabled = false,
  }
end

--------------------------------------------------------------------------------
-- Engine functions cached as locals
--------------------------------------------------------------------------------
local Spring = Spring
local spEcho                 = Spring.Echo
-- Spring.GetTimer counts whole milliseconds: a frame's cost would be 0 or 1. Recoil has GetTimerMicros (Spring 106
-- does not); DiffTimers' 4th argument says the timers are microseconds.
local spGetTimer             = Spring.GetTimerMicros or Spring.GetTimer
local timerMicros            = Spring.GetTimerMicros ~= nil
local spDiffTimers           = Spring.DiffTimers
local spGetGameFrame         = Spring.GetGameFrame
local spGetGameSeconds       = Spring.GetGameSeconds
local spGetGameSpeed         = Spring.GetGameSpeed
local spGetTeamInfo          = Spring.GetTeamInfo
local spGetTeamResources     = Spring.GetTeamResources
local spGetAllUnits          = Spring.GetAllUnits
local spGetUnitDefID         = Spring.GetUnitDefID
local spGetUnitTeam          = Spring.GetUnitTeam
local spGetUnitPosition      = Spring.GetUnitPosition
local spGetUnitHealth        = Spring.GetUnitHealth
local spGetUnitVelocity      = Spring.GetUnitVelocity
local spGetUnitExperience    = Spring.GetUnitExperience
-- called a few times a second or less: cached in one table (Lua 5.1 allows 200 locals in the main chunk)
local SP = {
  GetPlayerInfo = Spring.GetPlayerInfo,
  GetAIInfo = Spring.GetAIInfo,
  GetTeamColor = Spring.GetTeamColor,
  GetGameRulesParam = Spring.GetGameRulesParam,
  GetViewGeometry = Spring.GetViewGeometry,
  IsReplay = Spring.IsReplay,
  IsGameOver = Spring.IsGameOver,
  GetMyPlayerID = Spring.GetMyPlayerID,
  GetMyTeamID = Spring.GetMyTeamID,
  GetMyAllyTeamID = Spring.GetMyAllyTeamID,
  GetSpectatingState = Spring.GetSpectatingState,
  GetGaiaTeamID = Spring.GetGaiaTeamID,
  GetUnitIsDead = Spring.GetUnitIsDead, -- only for new ids and units at health <= 0
  GetTeamList = Spring.GetTeamList,
  GetTeamStatsHistory = Spring.GetTeamStatsHistory,
  GetTeamResourceStats = Spring.GetTeamResourceStats,
  GetTeamDamageStats = Spring.GetTeamDamageStats, -- Recoil; Spring 106 has only the stats history
  GetModOptions = Spring.GetModOptions,
}

local glText  = gl and gl.Text
local glColor = gl and gl.Color

local fmt       = string.format
local gsub      = string.gsub
local tconcat   = table.concat
local floor     = math.floor
local pairs     = pairs
local pcall     = pcall
local type      = type
local tostring  = tostring
local tonumber  = tonumber

--------------------------------------------------------------------------------
-- Config
--------------------------------------------------------------------------------
-- 1.1: the Spectator HUD's team values, production, player cards (SCHEMA.md "What each minor version added")
local SCHEMA_VERSION = "1.1"
local DETAILS = { minimal = true, standard = true, comprehensive = true }

local config = {
  enabled    = true,
  host       = "127.0.0.1",
  port       = 47800,
  rate       = 30,          -- snapshots per game second, 1..30
  detail     = "standard",
  showStatus = true,
  queueKB    = 4096,        -- send queue bound (KiB, 16..8192); oldest snapshots are dropped beyond it
  budgetMs   = 1.5,         -- average cost per game frame before the unit rate is lowered; 0 = never
  token      = "",          -- two-PC setup: the overlay's --token, sent in the hello; "" = none
  orders     = "auto",      -- decision points (protocol 1.2 `orders`): "auto" = at comprehensive detail, "on", "off"
}

-- tuning constants (one table: Lua 5.1 allows 200 locals per function, the main chunk included)
local K = {
  WIDGET_NAME       = "export_livedata",
  WIDGET_VERSION    = "1.2.3",
  OPTION_IDS        = { "livedata_enabled", "livedata_rate", "livedata_detail", "livedata_orders", "livedata_status" },
  DETAIL_LIST       = { "minimal", "standard", "comprehensive" },
  ORDERS_LIST       = { "auto", "on", "off" },
  ORDERS_MAX        = 1024,         -- decision points: entries of one frame's `orders` event at most (a formation
                                    -- move gives each unit its own position: one entry a unit)
  ORDER_IDS_MAX     = 4096,         -- ... and units they name; beyond either, orders are counted, not kept
  ORDER_PARAMS_MAX  = 64,           -- a command's params (SCHEMA.md); longer lists are cut
  QUEUE_MAX_BYTES   = config.queueKB * 1024,       -- drop oldest snapshots beyond this
  QUEUE_SKIP_BYTES  = config.queueKB * 1024 * 3 / 4, -- do not even build a snapshot while this much is pending
  SEND_BUDGET_BYTES = 1024 * 1024,  -- bytes handed to the kernel per call at most
  CONNECT_TIMEOUT   = 2.5,          -- seconds
  BACKOFF_MIN       = 1,
  BACKOFF_MAX       = 30,
  UNIT_HZ_LEVELS    = { 6, 3, 2, 1 }, -- unit refresh rates; level 1 is normal (>= 5 Hz)
  POS_BAND          = 4,            -- dead band (SCHEMA.md, unit sets): a refresh within it on every axis (elmos),
  HEALTH_BAND       = 0.01,         -- within this share of the max health (at least 1 hit point)
  PROGRESS_BAND     = 0.01,         -- and within this much build progress sends nothing...
  RESEND_FRAMES     = 150,          -- ...unless the unit was last sent this many game frames ago (5 game seconds)
  THROTTLE_HOLD     = 2,            -- seconds (wall or game, the first to pass) between two throttle changes
  THROTTLE_RECOVER  = 5,            -- ... before the unit rate goes up again (SCHEMA.md, status `throttled`)
  STATUS_INTERVAL   = 10,           -- seconds between periodic status events
}

--------------------------------------------------------------------------------
-- State
--------------------------------------------------------------------------------
local gaiaTeam
local teamIds = {}          -- non-Gaia teams, sorted
local view = {}             -- current view
local unitDefJson           -- cached encoded unit_defs array
local isReplay = false

-- socket state machine: "off", "disconnected", "connecting", "connected", "reconnecting"
local sock
local connState = "disconnected"
local connStarted = 0
local retryAt = 0
local backoff = K.BACKOFF_MIN
local failures = 0
local lastError
local lastReadCheck = 0
local connections = 0

-- queue of whole lines
local qItems, qKinds = {}, {}
local qHead, qTail = 1, 0
local qBytes = 0
local qOffset = 0           -- bytes of qItems[qHead] already sent
local dropped = 0           -- snapshots dropped on this connection
local reportedDropped = 0   -- dropped count last sent in a status event
local droppedTotal = 0
-- bytes sent on this widget's lifetime, as whole MiB + the rest: a single counter in the engine's 32-bit floats
-- stops counting exactly at 2^24 (16 MiB, a few minutes of a big game)
local sentMiB, sentRest = 0, 0

-- collection
local seq = 0
local forceFull = true
local snapAcc = 1
local lastSnap = { clock = -math.huge, frame = -1 } -- when the last snapshot was taken, and of which game frame
local lastFrame = -1
local mark = {}             -- unitID -> generation when last seen in GetAllUnits
-- The round robin's own stable orders of known units: units that move, and structures (unit types that cannot move),
-- each its own ring with its own cursor, so every snapshot looks at the same share of each whatever order they were
-- made in (a block of a thousand structures built after the army would otherwise make some snapshots all army).
-- ids: the units in order (false = tombstone); live: how many are not tombstones; lap: times the cursor wrapped.
local rings = { { ids = {}, live = 0, tomb = 0, cursor = 1, lap = 0 }, { ids = {}, live = 0, tomb = 0, cursor = 1, lap = 0 } }
local ringOf = {}           -- unitID -> its ring
local known = 0             -- number of known units
local gen = 0
local destroyedNow = {}     -- unitID -> true: UnitDestroyed call-in since last snapshot
local posOf = {}            -- unitID -> index in its ring's ids
local defStr = {}           -- unitID -> encoded def id, once known (a unit's type never changes)
local candList, candN = {}, 0 -- ids that may have left the set (call-ins), checked first
local ucache = {}           -- unitID -> the unit's cached text pieces and the values they were made from (encodeUnit)
local addList, addN = {}, 0 -- ids that may have entered the set (call-ins)
-- the GetAllUnits scan: since: snapshots since the last one began; a full-view spectator's goes a slice a snapshot:
-- list: its GetAllUnits table (false: none under way), pos: the next entry, marked: known units it found so far;
-- newIds: the ids a reconcile added (a buffer reused every snapshot)
local scanState = { since = 0, list = false, pos = 1, marked = 0, newIds = {} }
local pendDestroyed, pendHidden = {}, {}
local dirty = {}            -- unitID -> true: send in the next snapshot
local dirtyList = {}
local sentSeq = {}          -- unitID -> seq when last sent (dedupe within a snapshot)
local damageCache = {}      -- team -> {dealt, received, frame}

-- events/pause/game over
local paused = false
local gameStarted = false
local gameOverSent = false

-- throttling / cost
local t0
local costEma = 0
local frameCostAcc = 0
local unitLevel = 1
local lastStatusAt = 0

local optionsAdded = false
local lastViewCheck = 0

--------------------------------------------------------------------------------
-- Helpers
--------------------------------------------------------------------------------
local function now()
  return spDiffTimers(spGetTimer(), t0, false, timerMicros)
end

local function log(msg)
  spEcho("[livedata] " .. msg)
end

local function gameFrame()
  local f, days = spGetGameFrame()
  f = f or 0
  if days and days > 0 then f = f + days * 2592000 end
  return f
end

--------------------------------------------------------------------------------
-- Encoding (schema-specific, no generic JSON library)
--------------------------------------------------------------------------------
local escapes = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t', ['\127'] = '\\u007f',
}
for c = 0, 31 do
  local ch = string.char(c)
  if not escapes[ch] then escapes[ch] = fmt("\\u%04x", c) end
end

-- JSON string literal: quotes, backslash and control chars escaped, UTF-8 passed through.
local function jstr(s)
  s = tostring(s == nil and "" or s)
  return '"' .. gsub(s, '[%c"\\]', escapes) .. '"'
end

-- Numbers. In the engine's Lua a number is a 32-bit float (about 7 significant digits), math.floor casts to a
-- 32-bit int (math.floor(3e9) is -2147483648) and "%d" casts to a C long (32 bits on Windows). So floor and %d only
-- ever see magnitudes below 1e7 here, and every number goes out with at most 7 significant digits and 3 decimals:
-- the digits past the 7th are float noise (1e14 is 100000000376832 as a float), the same on every runtime.
-- (Built in a closure: the main chunk stays well below Lua 5.1's 200 locals.)
local num, num0, int, NUM = (function()
  -- itext(v): the text of an integer v (below 1e7 in magnitude), made once and kept in ITEXT for -65535..65535
  -- (read ITEXT[v] or itext(v)): positions are whole elmos and health is often whole, so a unit that moved costs no
  -- new string. Every new string goes into Lua's global string table, which doubles (rehashing every string the
  -- LuaUI state holds: 28-30 ms at ~1000 units in Spring 106) when the strings not yet collected outnumber its
  -- buckets. Bounded: at most 131071 entries (realistically the map's size in elmos, heights, health values); other
  -- integers are formatted every time.
  local ITEXT = {}
  local function itext(v)
    local s = fmt("%d", v)
    if v < 65536 and v > -65536 then ITEXT[v] = s end
    return s
  end
  local POW10, ZEROS = {}, {}
  for k = 0, 45 do POW10[k] = tonumber("1e" .. k); ZEROS[k] = string.rep("0", k) end -- 1e39+ is inf in floats
  -- DOTFRAC[d][r]: the decimals of r / 10^d without trailing zeros, after the dot (DOTFRAC[3][50] is ".05"), built
  -- once
  local DOTFRAC = { {}, {}, {} }
  for r = 1, 999 do
    for d = 1, 3 do
      if r < 10 ^ d then
        local t = fmt("%d", r)
        t = string.rep("0", d - #t) .. t
        DOTFRAC[d][r] = "." .. (t:gsub("0+$", ""))
      end
    end
  end
  local DEC_SCALE = { [0] = 1, 10, 100, 1000 }

  -- a >= 1e7, finite: 7 significant digits, then zeros ("123456800" for 123456789)
  local function bigDigits(a)
    local e = 0
    while e < 38 and a >= POW10[e + 7] do e = e + 1 end
    local m = floor(a / POW10[e] + 0.5) -- below 1e7 + 1: the int cast is exact
    if m >= 10000000 then m, e = floor(m / 10 + 0.5), e + 1 end
    return fmt("%d", m) .. ZEROS[e]
  end

  -- 0 <= a < 1e7: the text of num(a) as two pieces that are never new strings (ITEXT, DOTFRAC), the integer part and
  -- "" or the decimals with their dot; and the integer part
  local function split(a)
    local ip = floor(a)
    local f = a - ip -- exact in floats too
    if f == 0 then return ITEXT[a] or itext(a), "", a end
    local d = ip >= 1000000 and 0 or (ip >= 100000 and 1 or (ip >= 10000 and 2 or 3))
    local r = floor(f * DEC_SCALE[d] + 0.5)
    if r >= DEC_SCALE[d] then ip, r = ip + 1, 0 end
    if r == 0 then return ITEXT[ip] or itext(ip), "", ip end
    return ITEXT[ip] or itext(ip), DOTFRAC[d][r], ip
  end

  -- Number without float noise: integers as integers, else at most 3 decimals, at most 7 significant digits.
  -- nil for NaN/inf and non-numbers.
  local function num(v)
    if type(v) ~= "number" or v - v ~= 0 then return nil end -- v - v is NaN for NaN and +-inf
    local a = v < 0 and -v or v
    if a >= 1e7 then return (v < 0 and "-" or "") .. bigDigits(a) end
    local i, f, ip = split(a)
    if f == "" then
      if v >= 0 or ip == 0 then return i end -- never "-0"
      return ITEXT[-ip] or itext(-ip)
    end
    return v < 0 and "-" .. i .. f or i .. f
  end

  -- num(v) as two pieces (see split) where that needs no new string (0 <= v < 1e7), else num(v) and ""
  local function numSplit(v)
    if type(v) == "number" and v >= 0 and v < 1e7 then return split(v) end
    return num(v), ""
  end

  -- num() that never returns nil: "0" for non-finite (for required fields)
  local function num0(v)
    return num(v) or "0"
  end

  -- nearest integer, same digit rule as num(); "0" for NaN/inf
  local function int(v)
    if type(v) ~= "number" or v - v ~= 0 then return "0" end
    if v < 1e7 and v > -1e7 then
      local i = floor(v + 0.5)
      return ITEXT[i] or itext(i)
    end
    return (v < 0 and "-" or "") .. bigDigits(v < 0 and -v or v)
  end

  -- sep, then num0(v) as two pieces (numSplit) into parts after n; returns the new n
  local function put(parts, n, sep, v)
    local i, f = numSplit(v)
    parts[n + 1], parts[n + 2], parts[n + 3] = sep, i or "0", f
    return n + 3
  end

  local function finite(v) return type(v) == "number" and v - v == 0 end

  return num, num0, int, { text = ITEXT, int = itext, split = numSplit, put = put, finite = finite }
end)()

local function jbool(b) return b and "true" or "false" end

local function encodeView()
  return fmt('{"player_id":%s,"team_id":%s,"ally_team_id":%s,"spectating":%s,"full_view":%s}',
    int(view.player_id), int(view.team_id), int(view.ally_team_id), jbool(view.spectating), jbool(view.full_view))
end

--------------------------------------------------------------------------------
-- Collection: static-ish data
--------------------------------------------------------------------------------
local function readView()
  local spec, fullView = SP.GetSpectatingState()
  local v = {
    player_id = SP.GetMyPlayerID() or 0,
    team_id = SP.GetMyTeamID() or 0,
    ally_team_id = SP.GetMyAllyTeamID() or 0,
    spectating = (spec or isReplay) and true or false,
  }
  v.full_view = (v.spectating and fullView) and true or false
  return v
end

local function sameView(a, b)
  return a.player_id == b.player_id and a.team_id == b.team_id and a.ally_team_id == b.ally_team_id
     and a.spectating == b.spectating and a.full_view == b.full_view
end

local function readTeams()
  gaiaTeam = SP.GetGaiaTeamID and SP.GetGaiaTeamID()
  local list = SP.GetTeamList() or {}
  local ids = {}
  for i = 1, #list do
    local t = list[i]
    if t ~= gaiaTeam then ids[#ids + 1] = t end
  end
  table.sort(ids)
  teamIds = ids
end

local function teamName(team, leader, hasAI)
  if hasAI then
    local n = SP.GetGameRulesParam and SP.GetGameRulesParam("ainame_" .. team)
    if type(n) == "string" and n ~= "" then return n end
    if SP.GetAIInfo then
      local _, aiName = SP.GetAIInfo(team)
      if aiName then return aiName end
    end
  end
  if leader and leader >= 0 then
    local name = SP.GetPlayerInfo(leader, false)
    if name then return name end
  end
  return "Team " .. team
end

--------------------------------------------------------------------------------
-- Protocol 1.1: the Spectator HUD's team values, production, player cards
--------------------------------------------------------------------------------
-- One table of functions (the main chunk is near Lua 5.1's 200 locals).
-- The values that need every unit (production, idle builders, reclaim, conversion, utility and economy value) come
-- from a walk over the readable teams' units once a game second, a thirtieth of them each game frame, so no frame
-- pays for all of them. A finished walk is published as one string per team and goes out in the next snapshot and in
-- every full one (SCHEMA.md: these team fields absent means unchanged). Only teams this view reads fully are walked
-- (its own ally team; every team for a full-view spectator): of an enemy the engine shows only what is in sight, and
-- part of a team's factories passed off as all of them would be wrong.
local hud = (function()
  local S = {
    GetTeamUnitsByDefs = Spring.GetTeamUnitsByDefs,
    GetTeamUnitStats = Spring.GetTeamUnitStats,
    GetUnitIsBuilding = Spring.GetUnitIsBuilding,
    GetUnitCommands = Spring.GetUnitCommands,
    GetFactoryCommands = Spring.GetFactoryCommands,
    GetUnitResources = Spring.GetUnitResources,
    GetPlayerList = Spring.GetPlayerList,
  }
  -- published, team -> text: the team fields, and the additions inside its metal and energy objects; fresh: team ->
  -- true until a snapshot carried the text
  local H = { fresh = {}, team = {}, metal = {}, energy = {}, sent = {}, errors = 0 }
  local MAX_LIST = 64 -- factories and constructions of a team (SCHEMA.md limits)
  local defs = {}     -- def id -> {kind = 0 other, 1 factory, 2 builder; cost, util, econ, conv, mmake, emake, skip}
  local ids, tms, n, pos, sec, done = {}, {}, 0, 1, -1, true -- the walk: units, their teams, count, next, second
  local acc, walked, nw = {}, {}, 0 -- team -> accumulators; the walked teams and their count
  local ends, nextPub = {}, 1      -- walked[i]'s units end at ids[ends[i]]; the next team to publish
  local fetched, nPrev = 0, 0      -- teams whose units are listed; the last walk's unit count (paces this one)
  local fparts, cparts, sortBuf = {}, {}, {}
  local relevant -- the defs the walk looks at (the army is most units and adds nothing here), read once

  local function describe(def)
    local ud = UnitDefs and UnitDefs[def]
    local d = { kind = 0, cost = 0, mmake = 0, emake = 0 }
    if ud then
      local cp = ud.customParams or {}
      -- builders as the HUD counts them: everything that builds and is not a factory (constructors, commanders,
      -- construction turrets)
      if ud.isFactory then d.kind = 1 elseif ud.isBuilder and (ud.buildSpeed or 0) > 0 then d.kind = 2 end
      d.cost = tonumber(ud.metalCost) or 0
      d.util = cp.unitgroup == "util"
      d.econ = cp.unitgroup == "metal" or cp.unitgroup == "energy"
      d.conv = cp.energyconv_capacity ~= nil
      d.mmake, d.emake = tonumber(ud.metalMake) or 0, tonumber(ud.energyMake) or 0
    end
    d.skip = d.kind == 0 and not d.util and not d.econ and not d.conv
    defs[def] = d
    return d
  end

  local function relevantDefs()
    local l = {}
    for id in pairs(UnitDefs or {}) do
      if type(id) == "number" and not describe(id).skip then l[#l + 1] = id end
    end
    table.sort(l)
    return l
  end

  local function readable(t)
    if view.full_view then return true end
    local _, _, _, _, _, ally = spGetTeamInfo(t, false)
    return ally ~= nil and ally == view.ally_team_id
  end

  -- a build progress as sent: never 1 for an unfinished unit
  local function prog(p)
    if p > 0.999 then return "0.999" end
    return num0(p)
  end

  local function start(s)
    nPrev = n
    sec, pos, n, done, nw, nextPub, fetched = s, 1, 0, false, 0, 1, 0
    if not relevant then relevant = relevantDefs() end
    for i = 1, #teamIds do
      local t = teamIds[i]
      if readable(t) then
        nw = nw + 1
        walked[nw] = t
        local a = acc[t]
        if not a then a = { fac = {}, con = {}, byTarget = {} }; acc[t] = a end
        a.util, a.econ, a.mrec, a.erec, a.conv, a.idle, a.nf, a.nc = 0, 0, 0, 0, 0, 0, 0, 0
        local bt = a.byTarget
        for k in pairs(bt) do bt[k] = nil end
      end
    end
  end

  -- the next team's units, listed when the walk reaches them (one engine table at a time, not all in one frame).
  -- The engine keeps each team's units by def: only the relevant ones, in one call.
  local function fetch()
    fetched = fetched + 1
    local t = walked[fetched]
    local l = #relevant > 0 and S.GetTeamUnitsByDefs(t, relevant)
    if l then
      for j = 1, #l do n = n + 1; ids[n], tms[n] = l[j], t end
    end
    ends[fetched] = n
  end

  local function visit(id, t)
    local def = spGetUnitDefID(id)
    local d = def and (defs[def] or describe(def))
    if not d or d.skip then return end -- most units (the army) cost one call
    local h, _, _, _, bp = spGetUnitHealth(id)
    if not (bp and bp >= 1 and h > 0) then return end -- the HUD counts finished units; a dying one is gone
    local a = acc[t]
    if d.util then a.util = a.util + d.cost end
    if d.econ then a.econ = a.econ + d.cost end
    if d.conv or d.kind == 2 then
      local mm, _, em = S.GetUnitResources(id)
      if mm then
        if d.conv then
          a.conv = a.conv + mm
        else
          -- reclaim: what a builder makes beyond its passive production (the HUD's definition)
          local m, e = mm - d.mmake, (em or 0) - d.emake
          if m > 0 then a.mrec = a.mrec + m end
          if e > 0 then a.erec = a.erec + e end
        end
      end
    end
    if d.kind == 0 then return end
    local target = S.GetUnitIsBuilding(id)
    if d.kind == 1 then
      local k = a.nf + 1
      a.nf = k
      local f = a.fac[k]
      if not f then f = {}; a.fac[k] = f end
      f.id, f.def, f.bdef, f.prog, f.queued = id, def, nil, nil, nil
      if target then
        local _, _, _, _, tbp = spGetUnitHealth(target)
        f.bdef, f.prog = spGetUnitDefID(target), tbp
      end
      local q = S.GetFactoryCommands(id, 0)
      if type(q) == "table" then q = #q end
      if type(q) == "number" and q >= 0 then f.queued = q end
    elseif target then
      local k = a.byTarget[target]
      if k then
        a.con[k].builders = a.con[k].builders + 1
      else
        local tdef = spGetUnitDefID(target)
        local _, _, _, _, tbp = spGetUnitHealth(target)
        if tdef and tbp then
          k = a.nc + 1
          a.nc = k
          local c = a.con[k]
          if not c then c = {}; a.con[k] = c end
          c.id, c.def, c.prog, c.builders = target, tdef, tbp, 1
          a.byTarget[target] = k
        end
      end
    else
      local c = S.GetUnitCommands(id, 0)
      if type(c) == "table" then c = #c end
      if c == 0 then a.idle = a.idle + 1 end
    end
  end

  -- past MAX_LIST entries: factories keep the busiest (building, then by id), constructions the furthest along
  local function busier(x, y)
    if (x.bdef ~= nil) ~= (y.bdef ~= nil) then return x.bdef ~= nil end
    return x.id < y.id
  end
  local function further(x, y)
    if x.prog ~= y.prog then return x.prog > y.prog end
    return x.id < y.id
  end
  local function cut(list, k, better)
    if k <= MAX_LIST then return list, k end
    for i = 1, k do sortBuf[i] = list[i] end
    for i = k + 1, #sortBuf do sortBuf[i] = nil end
    table.sort(sortBuf, better)
    return sortBuf, MAX_LIST
  end

  -- one team's walk is over: its text, built with one string.format per entry (a team's text is made once a
  -- second, and each team in its own frame: the walk covers the teams in turn)
  local function publishTeam(t)
    local a = acc[t]
    local list, k = cut(a.fac, a.nf, busier)
    for j = 1, k do
      local f = list[j]
      if f.bdef and f.prog and f.prog == f.prog then
        fparts[j] = fmt('{"id":%d,"def_id":%d,"building":%d,"progress":%s,"queued":%d}', f.id, f.def, f.bdef,
          prog(f.prog), f.queued or 1)
      else
        fparts[j] = fmt('{"id":%d,"def_id":%d,"queued":%d}', f.id, f.def, f.queued or 0)
      end
    end
    local fs = tconcat(fparts, ",", 1, k)
    for j = 1, k do fparts[j] = nil end
    list, k = cut(a.con, a.nc, further)
    for j = 1, k do
      local c = list[j]
      cparts[j] = fmt(c.builders > 1 and '{"id":%d,"def_id":%d,"progress":%s,"builders":%d}'
        or '{"id":%d,"def_id":%d,"progress":%s}', c.id, c.def, prog(c.prog), c.builders)
    end
    local cs = tconcat(cparts, ",", 1, k)
    for j = 1, k do cparts[j] = nil end
    local killed, died = S.GetTeamUnitStats(t)
    local ok = type(killed) == "number" and type(died) == "number" and killed >= 0 and died >= 0
    H.team[t] = fmt('%s%s%s,"utility_value":%s,"economy_value":%s,"production":{"factories":[%s],"constructing":[%s],"idle_builders":%d}',
      ok and ',"units_killed":' or "", ok and int(killed) or "", ok and (',"units_died":' .. int(died)) or "",
      num0(a.util), num0(a.econ), fs, cs, a.idle)
    H.metal[t] = fmt(',"reclaim":%s,"converted":%s', num0(a.mrec), num0(a.conv))
    H.energy[t] = ',"reclaim":' .. num0(a.erec)
    H.fresh[t] = true
  end

  -- publish the teams whose units the walk has passed
  local function publish()
    while nextPub <= fetched and ends[nextPub] < pos do
      publishTeam(walked[nextPub])
      nextPub = nextPub + 1
    end
    if nextPub > nw then done = true end
  end

  -- walks on to the upTo-th unit (math.huge: to the end), listing teams as it reaches them
  local function advance(upTo)
    while pos <= upTo do
      if pos > n then
        if fetched >= nw then break end
        fetch()
      else
        visit(ids[pos], tms[pos])
        pos = pos + 1
      end
    end
    if not done then publish() end
  end

  local function step(f)
    local s = (f - f % 30) / 30
    if s ~= sec then
      if not done then advance(math.huge) end -- frames were skipped: finish the walk first
      start(s)
    end
    -- paced by the last walk's size; the second's last frame finishes it
    advance(f % 30 == 29 and math.huge or nPrev * (f % 30 + 1) / 30)
  end

  -- one game frame's share of the walk; an engine that errors here loses the HUD values, not the widget
  function H.step(f)
    if connState ~= "connected" then sec, done = -1, true; return end -- a walk restarts with the connection
    if H.errors >= 3 or not (S.GetTeamUnitsByDefs and S.GetUnitResources and
      S.GetUnitIsBuilding and S.GetUnitCommands and S.GetFactoryCommands) then return end
    local ok, err = pcall(step, f)
    if not ok then
      H.errors = H.errors + 1
      H.reset()
      log("HUD values: " .. tostring(err) .. (H.errors >= 3 and " (no longer sent)" or ""))
    end
  end

  -- forget everything (the view changed: what the new eyes may read differs)
  function H.reset()
    sec, done = -1, true
    for t in pairs(H.team) do H.team[t], H.metal[t], H.energy[t], H.fresh[t] = nil, nil, nil, nil end
  end

  -- Player cards. A resigned player becomes a spectator and stays in its team's player list; so does a spectator
  -- who never played. The widget tells them apart by having seen the player play for the team (a player who resigned
  -- before the widget started is not listed).
  local seen = {} -- player id -> the team it was seen playing for
  local cards = {} -- team -> list of card strings

  -- BAR's anonymous mode (modoption teamcolors_anonymous_mode: "global", "local", "disco", "allred"; "disabled" is
  -- off): BAR shows a spectator (and a replay) every name, rating, country and colour as usual, and a player the
  -- names of other teams as "?????" with no rating or country (BAR runs no user widget for a player in such a game;
  -- another handler might). The widget sends no more: the mode in the hello (1.4), and as a player no other team's
  -- names or cards. Read once: a game's modoptions never change.
  local function anonymousMode()
    local mo = SP.GetModOptions and SP.GetModOptions()
    local m = type(mo) == "table" and mo.teamcolors_anonymous_mode
    if type(m) ~= "string" or m == "" or m == "disabled" or m == "0" then return false end
    return m
  end
  H.anonymous = anonymousMode()

  -- the name BAR shows a player for another team's player in an anonymous game
  H.ANONYMOUS_NAME = "?????"

  -- this view must not name team t's people (a player in an anonymous game, another team than its own)
  function H.hidden(t)
    return H.anonymous and not view.spectating and t ~= view.team_id
  end

  -- at most max characters (UTF-8), cut on a character boundary
  local function clip(s, max)
    if #s <= max then return s end
    local k, i = 0, 1
    while i <= #s do
      k = k + 1
      if k > max then return s:sub(1, i - 1) end
      local b = s:byte(i)
      i = i + (b >= 240 and 4 or (b >= 224 and 3 or (b >= 192 and 2 or 1)))
    end
    return s
  end
  H.clip = clip

  local function card(p, name, active, spec, country, rank, keys)
    local s = fmt('{"player_id":%d,"name":%s', p, jstr(clip(name, 64)))
    if type(country) == "string" and country:match("^%a%a$") then s = s .. ',"country":"' .. country:upper() .. '"' end
    if type(rank) == "number" and rank >= 0 and rank < 1000 then s = s .. ',"rank":' .. int(rank) end
    -- the lobby's skill: "[mu]" earned, "(mu)" inferred from the rank, "~mu~" privacy mode (not sent)
    local sk = type(keys) == "table" and keys.skill
    if type(sk) == "string" and not sk:find("~", 1, true) then
      local mu = tonumber(sk:match("%-?%d+%.?%d*"))
      if mu and mu > -1e6 and mu < 1e6 then
        s = s .. ',"skill":' .. num0(mu)
        local sig = tonumber(keys.skilluncertainty)
        if sig and sig >= 0 and sig < 1e6 then s = s .. ',"skill_uncertainty":' .. num0(sig) end
        if sk:find("(", 1, true) then s = s .. ',"skill_estimated":true' end
      end
    end
    -- before the start nobody is active yet: that is not a disconnection
    if spec then s = s .. ',"status":"resigned"'
    elseif active == false and gameStarted then s = s .. ',"status":"disconnected"' end
    return s .. "}"
  end

  -- reads every player once (before describing the teams)
  function H.readPlayers()
    for _, l in pairs(cards) do for i = #l, 1, -1 do l[i] = nil end end
    local list = S.GetPlayerList and S.GetPlayerList()
    if type(list) ~= "table" then return end
    table.sort(list)
    for i = 1, #list do
      local p = list[i]
      -- Recoil: ..., country, rank, hasSkirmishAIsInTeam, customKeys; Spring 106: ..., country, rank, customKeys
      local name, active, spec, team, _, _, _, country, rank, k10, k11 = SP.GetPlayerInfo(p)
      if type(name) == "string" and type(team) == "number" and type(p) == "number" and p >= 0 and p <= 250 then
        if not spec then seen[p] = team end
        if not spec or seen[p] == team then
          local l = cards[team]
          if not l then l = {}; cards[team] = l end
          if #l < 16 then
            l[#l + 1] = card(p, name, active, spec, country, rank, type(k11) == "table" and k11 or k10)
          end
        end
      end
    end
  end

  -- the 1.1 additions to a team's description: faction, player cards (none for an AI team), AI card
  function H.info(team, hasAI, side)
    local s = ""
    if type(side) == "string" and side ~= "" then s = ',"faction":' .. jstr(clip(side:lower(), 32)) end
    local l = cards[team]
    if H.hidden(team) then return s end
    if not hasAI and l and #l > 0 then s = s .. ',"players":[' .. tconcat(l, ",") .. "]" end
    if hasAI and SP.GetAIInfo then
      local _, name, _, short, version = SP.GetAIInfo(team)
      local shown = SP.GetGameRulesParam and SP.GetGameRulesParam("ainame_" .. team)
      if type(shown) ~= "string" or shown == "" then shown = name end
      if type(shown) == "string" and shown ~= "" then
        s = s .. ',"ai":{"name":' .. jstr(clip(shown, 64))
        if type(short) == "string" and short ~= "" then s = s .. ',"short_name":' .. jstr(clip(short, 64)) end
        if type(version) == "string" and version ~= "" then s = s .. ',"version":' .. jstr(clip(version, 64)) end
        s = s .. "}"
      end
    end
    return s
  end

  return H
end)()

-- a team's description (hello, team_changed); hud.readPlayers() first
local function encodeTeamInfo(team)
  local _, leader, isDead, hasAI, side, allyTeam = spGetTeamInfo(team, false)
  -- a dead team loses its AI and leader in the engine ("Team 1", no cards): it keeps the description it had alive
  local was = hud.sent[team]
  if isDead and was then
    if not was:find(',"is_dead":true', 1, true) then hud.sent[team] = was:sub(1, -2) .. ',"is_dead":true}' end
    return hud.sent[team]
  end
  local r, g, b = SP.GetTeamColor(team)
  local s = fmt('{"team_id":%d,"ally_team_id":%s,"name":%s,"color":[%s,%s,%s],"is_ai":%s',
    team, int(allyTeam), jstr(hud.hidden(team) and hud.ANONYMOUS_NAME or teamName(team, leader, hasAI)),
    int((r or 0) * 255), int((g or 0) * 255), int((b or 0) * 255), jbool(hasAI))
  if isDead then s = s .. ',"is_dead":true' end
  s = s .. hud.info(team, hasAI, side) .. "}"
  hud.sent[team] = s
  return s
end

local function defCategory(ud)
  local cp = ud.customParams or {}
  local speed = ud.speed or 0
  local mobile = speed > 0 and not ud.isBuilding and not ud.isImmobile
  local hasWeapons = ud.weapons and #ud.weapons > 0
  if cp.iscommander then return "commander" end
  if ud.isFactory then return "factory" end
  if mobile and ud.isBuilder and (ud.buildSpeed or 0) > 0 then return "builder" end
  if hasWeapons then
    if mobile then
      if ud.canFly then return "army_air" end
      -- moveDef.smClass is a number (MoveDef::SpeedModClass, named in Game.speedModClasses); minWaterDepth > 0 also
      -- marks ships (and is all an engine without speedModClasses offers)
      local md = ud.moveDef
      local smc = Game and Game.speedModClasses
      local ship = smc and (smc.Ship or smc.Boat)
      if (ud.minWaterDepth or 0) > 0 or (ship and md and md.smClass == ship) then
        return "army_sea"
      end
      return "army_land"
    end
    return "defense"
  end
  if cp.unitgroup == "metal" or cp.unitgroup == "energy" then return "economy" end
  return "utility"
end

local function encodeUnitDefs()
  local parts = {}
  local ids = {}
  for id in pairs(UnitDefs) do ids[#ids + 1] = id end
  table.sort(ids)
  for i = 1, #ids do
    local id = ids[i]
    local ud = UnitDefs[id]
    local ok, s = pcall(function()
      local cp = ud.customParams or {}
      local tl = tonumber(cp.techlevel) or 1
      local bs = ud.buildSpeed or 0
      local bsField = (bs > 0) and (',"build_speed":' .. num0(bs)) or ""
      return fmt('{"def_id":%d,"name":%s,"human_name":%s,"metal_cost":%s,"energy_cost":%s%s,"tech_level":%d,"category":"%s"}',
        id, jstr(ud.name), jstr(ud.translatedHumanName or ud.humanName or ud.name),
        num0(ud.metalCost), num0(ud.energyCost), bsField, tl, defCategory(ud))
    end)
    if ok then parts[#parts + 1] = s end
  end
  return "[" .. tconcat(parts, ",") .. "]"
end

local function encodeHello()
  if not unitDefJson then unitDefJson = encodeUnitDefs() end
  -- Engine.version is empty in some engines (Spring 106 says "" and puts "106.0 (Headless)" in versionFull)
  local e = Engine or {}
  local engineVersion = e.version
  if type(engineVersion) ~= "string" or engineVersion == "" then engineVersion = e.versionFull end
  if type(engineVersion) ~= "string" or engineVersion == "" then engineVersion = "unknown" end
  local teams = {}
  hud.readPlayers()
  for i = 1, #teamIds do teams[i] = encodeTeamInfo(teamIds[i]) end
  -- 1.3 when it carries a token, 1.4 when it says the game is anonymous
  local anon = hud.anonymous
  return fmt('{"type":"hello","schema_version":"%s","widget":{"name":"%s","version":"%s"},"engine_version":%s,'
    .. '"game":{"name":%s,"version":%s},"map":%s,"is_replay":%s,"game_frame":%d,"rate_hz":%d,"detail":"%s",'
    .. '"view":%s,"teams":[%s],"unit_defs":%s%s%s}\n',
    anon and "1.4" or (config.token ~= "" and "1.3" or SCHEMA_VERSION), K.WIDGET_NAME, K.WIDGET_VERSION, jstr(engineVersion),
    jstr(Game and Game.gameName or "unknown"), jstr(Game and Game.gameVersion or "unknown"),
    jstr(Game and Game.mapName or "unknown"), jbool(isReplay), gameFrame(), config.rate, config.detail,
    encodeView(), tconcat(teams, ","), unitDefJson,
    config.token ~= "" and ',"token":' .. jstr(config.token) or "",
    anon and ',"anonymous":' .. jstr(hud.clip(anon, 32)) or "")
end

--------------------------------------------------------------------------------
-- Collection: per snapshot
--------------------------------------------------------------------------------
-- [team * 2 + 0|1 (metal|energy)] -> {income, expense, storage, text}: those change once a game second;
-- plain[team * 2 + 0|1 (dead)] -> '{"team_id":N}' for a team whose economy this view cannot read
local resCache = { plain = {} }

local function resourceRates(team, res, inc, exp, stor)
  local key = res == "metal" and team * 2 or team * 2 + 1
  local rc = resCache[key]
  if not rc then rc = {}; resCache[key] = rc end
  if rc[1] ~= inc or rc[2] ~= exp or rc[3] ~= stor or not rc[4] then
    rc[1], rc[2], rc[3] = inc, exp, stor
    rc[4] = fmt('"income":%s,"expense":%s,"storage":%s', num0(inc), num0(exp), num0(stor))
  end
  return rc[4]
end

-- the general case: any part may be missing (e.g. no resource stats for this team in this view)
local function encodeResource(team, res, short, withStats, extra)
  local cur, stor, _, inc, exp = spGetTeamResources(team, res)
  if cur == nil then return nil end
  local s = fmt('"%s":{"current":%s,%s', res, num0(cur), resourceRates(team, res, inc, exp, stor))
  if withStats and SP.GetTeamResourceStats then
    local used, produced, excessed = SP.GetTeamResourceStats(team, short)
    local p, e, u = num(produced), num(excessed), num(used)
    if p and e then s = s .. ',"produced":' .. p .. ',"excess":' .. e end
    if u then s = s .. ',"used":' .. u end
  end
  return s .. (extra or "") .. "}"
end

-- damage totals: GetTeamDamageStats (Recoil), else the last, live entry of the stats history (one table from the
-- engine per call): read once a game second
local function teamDamage(team, frame)
  local c = damageCache[team]
  if c and frame - c.frame < 30 and frame >= c.frame then return c end
  c = c or {}
  c.frame = frame
  c.dealt, c.received = nil, nil
  if SP.GetTeamDamageStats then
    c.dealt, c.received = SP.GetTeamDamageStats(team)
  elseif SP.GetTeamStatsHistory then
    local n = SP.GetTeamStatsHistory(team)
    if type(n) == "number" and n > 0 then
      local h = SP.GetTeamStatsHistory(team, n, n)
      local e = h and h[1]
      if e then c.dealt, c.received = e.damageDealt, e.damageReceived end
    end
  end
  local dd, dr = num(c.dealt), num(c.received)
  c.text = (dd and dr) and (',"damage_dealt":' .. dd .. ',"damage_received":' .. dr) or ""
  damageCache[team] = c
  return c
end

-- One team's state into parts after n; returns the new n. The common case (economy and stats readable) is pieces:
-- the numbers that change every frame (current, produced, used) from NUM.split, everything else cached, so a team
-- costs no new string per snapshot (one string.format each was a new line and a new string per fractional value).
-- withHud: add the 1.1 values the HUD walk published (the first snapshot after a walk, and every full one).
local function encodeTeam(parts, n, team, frame, withHud)
  local _, _, isDead = spGetTeamInfo(team, false)
  local cm, sm, _, im, em = spGetTeamResources(team, "metal")
  if cm == nil then
    local key = team * 2 + (isDead and 1 or 0)
    local t = resCache.plain[key]
    if not t then
      t = fmt(isDead and '{"team_id":%d,"is_dead":true}' or '{"team_id":%d}', team)
      resCache.plain[key] = t
    end
    parts[n + 1] = t
    return n + 1
  end
  local ce, se, _, ie, ee = spGetTeamResources(team, "energy")
  local stats = SP.GetTeamResourceStats
  local u1, p1, x1, u2, p2, x2
  if ce ~= nil and stats then
    u1, p1, x1 = stats(team, "m")
    u2, p2, x2 = stats(team, "e")
  end
  local d = teamDamage(team, frame)
  local ht, hm, he = "", "", ""
  if (withHud or hud.fresh[team]) and hud.team[team] then
    ht, hm, he = hud.team[team], hud.metal[team], hud.energy[team]
    hud.fresh[team] = nil
  end
  local putNum, finite = NUM.put, NUM.finite
  if finite(p1) and finite(x1) and finite(u1) and finite(p2) and finite(x2) and finite(u2) then
    local head = resCache.plain[-1 - team] -- '{"team_id":T,"metal":{"current":'
    if not head then
      head = fmt('{"team_id":%d,"metal":{"current":', team)
      resCache.plain[-1 - team] = head
    end
    n = putNum(parts, n, head, cm)
    parts[n + 1], parts[n + 2] = ",", resourceRates(team, "metal", im, em, sm)
    n = putNum(parts, n + 2, ',"produced":', p1)
    n = putNum(parts, n, ',"excess":', x1)
    n = putNum(parts, n, ',"used":', u1)
    parts[n + 1] = hm
    n = putNum(parts, n + 1, '},"energy":{"current":', ce)
    parts[n + 1], parts[n + 2] = ",", resourceRates(team, "energy", ie, ee, se)
    n = putNum(parts, n + 2, ',"produced":', p2)
    n = putNum(parts, n, ',"excess":', x2)
    n = putNum(parts, n, ',"used":', u2)
    parts[n + 1], parts[n + 2], parts[n + 3], parts[n + 4], parts[n + 5] =
      he, "}", d.text, ht, isDead and ',"is_dead":true}' or "}"
    return n + 5
  end
  local s = '{"team_id":' .. team .. "," .. encodeResource(team, "metal", "m", true, hm)
  local e = encodeResource(team, "energy", "e", true, he)
  if e then s = s .. "," .. e end
  parts[n + 1] = s .. d.text .. ht .. (isDead and ',"is_dead":true' or "") .. "}"
  return n + 1
end

local function clearCandidates()
  for i = 1, candN do
    destroyedNow[candList[i]] = nil
    candList[i] = nil
  end
  candN = 0
  for i = 1, addN do addList[i] = nil end
  addN = 0
end

local function noteAdded(id)
  addN = addN + 1
  addList[addN] = id
end

local function noteCandidate(id, destroyed)
  if destroyed then destroyedNow[id] = true end
  candN = candN + 1
  candList[candN] = id
end

-- Encode one unit into parts; returns the new n. A unit's text starts with its comma, except the first one's (lead).
-- At standard detail a unit is pieces, each cached until it changes: the head (id, type, team), the position's
-- three integers (ITEXT, made once for the whole game), the health and build progress (NUM.split: integer part and
-- decimals, both made once), the max health. A unit that moved, was damaged or built further costs no new string
-- (each new string, even garbage, counts in Lua's string table until collected: see itext).
-- A full-view spectator sees every UnitGiven/UnitTaken, so a known unit's team is asked again only after one, and a
-- building's position (it never moves) only once: a building's refresh is one engine call, a mobile unit's two.
local immobileDef = {} -- def id -> true for defs that never move (read once: UnitDefs goes through metatables)

-- the unit's encoded def id (kept: a unit's type never changes) and whether that type never moves; nil while the
-- engine does not say (a player's unidentified radar blip)
local function defOf(id)
  local ds = defStr[id]
  if ds then return ds, immobileDef[tonumber(ds)] end
  local defID = spGetUnitDefID(id)
  if not defID then return nil, false end
  ds = fmt("%d", defID)
  defStr[id] = ds
  if immobileDef[defID] == nil then
    local ud = UnitDefs and UnitDefs[defID]
    immobileDef[defID] = (ud and (ud.isImmobile or ud.isBuilding or (ud.speed or 0) == 0)) and true or false
  end
  return ds, immobileDef[defID]
end

-- (in a closure: the number helpers as its own upvalues; the main chunk is near Lua 5.1's 200 locals)
local encodeUnit = (function()
local IT, it, split = NUM.text, NUM.int, NUM.split
-- XT[x], YT[y]: x .. ',"y":' and y .. ',"z":', made once for -65535..65535 as ITEXT (fewer pieces per moving unit)
local XT, YT = {}, {}
local function xt(v)
  local s = (IT[v] or it(v)) .. ',"y":'
  if v < 65536 and v > -65536 then XT[v] = s end
  return s
end
local function yt(v)
  local s = (IT[v] or it(v)) .. ',"z":'
  if v < 65536 and v > -65536 then YT[v] = s end
  return s
end
-- the unit as last sent (c) and as read now are the same within the dead band, and it was sent after frame `since`
local function unchanged(c, since, team, ds, x, y, z, h, mh, bp)
  if not (c[18] and c[18] > since and c[6] == team and c[7] == ds and c[9] == mh) then return false end
  local d = x - c[1]
  if d >= K.POS_BAND or d <= -K.POS_BAND then return false end
  d = z - c[2]
  if d >= K.POS_BAND or d <= -K.POS_BAND then return false end
  d = y - c[3]
  if d >= K.POS_BAND or d <= -K.POS_BAND then return false end
  local h0 = c[8]
  if h ~= h0 then
    if not (h and h0) then return false end -- in or out of line of sight
    local band = mh and mh * K.HEALTH_BAND or 1
    if band < 1 then band = 1 end
    d = h - h0
    if d >= band or d <= -band then return false end
  end
  local b0 = c[17]
  if bp ~= nil and bp < 1 and bp == bp then
    if not b0 then return false end
    d = bp - b0
    return d < K.PROGRESS_BAND and d > -K.PROGRESS_BAND
  end
  return not b0 -- finished then and now
end

-- frame: the snapshot's; since: a unit sent after this frame and unchanged within the dead band is not sent again
-- (nil: always send it: full snapshots, new and dirty units)
return function(parts, n, id, detail, lead, frame, since)
  local c = ucache[id]
  local team, x, y, z
  if c and c[6] and view.full_view and detail ~= "comprehensive" then
    team = c[6]
    if c[13] then x, y, z = c[1], c[3], c[2] end
  else
    team = spGetUnitTeam(id)
    if team == nil then return n end
  end
  if not x then
    x, y, z = spGetUnitPosition(id)
    -- every comparison with NaN is false, so this also drops NaN and +-inf; beyond 1e7 elmos rounding would not be
    -- exact in floats (maps are at most about 1e5)
    if not (x and x < 1e7 and x > -1e7 and y < 1e7 and y > -1e7 and z < 1e7 and z > -1e7) then return n end
    x, y, z = x + 0.5, y + 0.5, z + 0.5
    x, y, z = x - x % 1, y - y % 1, z - z % 1 -- floor without three C calls (exact below 1e7)
  end
  local ds = defStr[id] or defOf(id) or "null"
  local h, mh, _, _, bp = spGetUnitHealth(id)
  if h == nil and c and c[6] and view.full_view then return n end -- gone (a full view reads every unit's health)
  -- destroyed but still listed (the engine keeps it up to two frames): never send it; the next reconcile
  -- removes it as destroyed (for a player's enemy no UnitDestroyed call-in ever comes)
  if h ~= nil and h <= 0 and SP.GetUnitIsDead(id) then
    noteCandidate(id, true)
    return n
  end
  if detail ~= "comprehensive" then
    -- c: x, z, y, head, head without its comma (made when first needed), team, def, health, maxHealth, (unused),
    -- health's integer part (false: no health, a radar blip), tail of a finished unit (',"max":M}}'; false: no max
    -- health), immobile, health's decimals ("" or ".25"), tail of an unfinished one (',"max":M},"build_progress":'),
    -- an immobile unit's position text after its x (false: to be made; a player's radar blip of a building moves)
    if not c then
      -- sized at once (integer keys filled out of order would go through the hash part and rehash)
      c = { false, false, false, false, false, false, false, false, false, false, false, false, false, false, false,
        false, false, false, false }
      c[13] = immobileDef[tonumber(ds)] or false
      ucache[id] = c
    elseif since and unchanged(c, since, team, ds, x, y, z, h, mh, bp) then
      -- nothing a reader needs: the cost follows what changes. A structure that did not change is looked at again
      -- within a second (the round robin skips it until then): most of a late game's units cost almost nothing.
      if c[13] then c[19] = true end
      return n
    end
    -- ... c[17]: the build progress sent (false: finished), c[18]: the frame it was sent in, c[19]: true while a
    -- structure was unchanged at its last look (the round robin then looks at it once a second)
    c[17], c[18], c[19] = (bp ~= nil and bp < 1 and bp == bp) and bp or false, frame, false
    if c[6] ~= team or c[7] ~= ds then
      c[4], c[5], c[6], c[7] = fmt(',{"id":%d,"def_id":%s,"team":%d,"pos":{"x":', id, ds, team), false, team, ds
    end
    if c[1] ~= x or c[2] ~= z or c[3] ~= y then c[1], c[2], c[3], c[16] = x, z, y, false end
    -- health and build progress are pieces too (numSplit): a damaged unit or one being built costs no new string
    if c[8] ~= h then
      c[8] = h
      if h ~= nil then c[11], c[14] = split(h) else c[11] = false end
    end
    if c[9] ~= mh then
      local ms = mh ~= nil and num(mh)
      c[9] = mh
      c[12], c[15] = ms and ',"max":' .. ms .. "}}" or false, ms and ',"max":' .. ms .. '},"build_progress":' or false
    end
    local head = c[4]
    if lead then
      head = c[5] or head:sub(2)
      c[5] = head
    end
    if c[13] then
      -- immobile: one piece, made once (a full view reads its position once)
      local p = c[16]
      if not p then
        p = fmt('%d,"y":%d,"z":%d', x, y, z)
        c[16] = p
      end
      parts[n + 1], parts[n + 2] = head, p
      n = n + 2
    else
      parts[n + 1], parts[n + 2], parts[n + 3], parts[n + 4] = head, XT[x] or xt(x), YT[y] or yt(y), IT[z] or it(z)
      n = n + 4
    end
    if not (c[11] and c[12]) then
      parts[n + 1] = "}}"
      return n + 1
    end
    parts[n + 1], parts[n + 2] = '},"health":{"current":', c[11]
    n = n + 2
    if c[14] ~= "" then n = n + 1; parts[n] = c[14] end
    if bp ~= nil and bp < 1 and bp == bp then
      -- never "1" for an unfinished unit (1 means finished; a unit a hair from done would round to it)
      local bi, bf = "0.999", ""
      if bp <= 0.999 then bi, bf = split(bp) end
      parts[n + 1], parts[n + 2], parts[n + 3], parts[n + 4] = c[15], bi or "0", bf, "}"
      return n + 4
    end
    n = n + 1
    parts[n] = c[12]
    return n
  end
  local hs, ms
  if h ~= nil then hs, ms = num(h), num(mh) end
  local s = fmt(lead and '{"id":%d,"def_id":%s,"team":%d,"pos":{"x":%d,"y":%d,"z":%d}'
    or ',{"id":%d,"def_id":%s,"team":%d,"pos":{"x":%d,"y":%d,"z":%d}', id, ds, team, x, y, z)
  if hs and ms then s = s .. ',"health":{"current":' .. hs .. ',"max":' .. ms .. '}' end
  if bp ~= nil then
    local b = (bp < 1 and bp > 0.999) and "0.999" or num(bp)
    if b then s = s .. ',"build_progress":' .. b end
  end
  local vx, vy, vz = spGetUnitVelocity(id)
  if vx ~= nil then
    s = s .. ',"vel":{"x":' .. num0(vx) .. ',"y":' .. num0(vy) .. ',"z":' .. num0(vz) .. '}'
  end
  local xp = spGetUnitExperience(id)
  if xp ~= nil then
    local xs = num(xp)
    if xs then s = s .. ',"experience":' .. xs end
  end
  n = n + 1
  parts[n] = s .. "}"
  return n
end
end)()

local function resetUnitTracking()
  mark, known, gen = {}, 0, 0
  for k = 1, 2 do rings[k] = { ids = {}, live = 0, tomb = 0, cursor = 1, lap = 0 } end
  ringOf = {}
  posOf, defStr, sentSeq, ucache = {}, {}, {}, {}
  pendDestroyed, pendHidden = {}, {}
  destroyedNow, candList, candN, addList, addN = {}, {}, 0, {}, 0
  scanState.since, scanState.list, scanState.marked = 0, false, 0
  dirty, dirtyList = {}, {}
end

-- in place: a new table each refresh cycle was 16 KB of garbage at 1000 units
local function compactRing(r)
  if r.tomb == 0 then return end
  local ids = r.ids
  local n, j = #ids, 0
  for i = 1, n do
    local id = ids[i]
    if id then j = j + 1; ids[j] = id; posOf[id] = j end
  end
  for i = j + 1, n do ids[i] = nil end
  r.tomb = 0
end

local function removeUnit(id)
  local i, r = posOf[id], ringOf[id]
  if i and r then
    r.ids[i] = false
    r.tomb, r.live = r.tomb + 1, r.live - 1
  end
  posOf[id] = nil
  ringOf[id] = nil
  if mark[id] == gen then scanState.marked = scanState.marked - 1 end
  mark[id] = nil
  sentSeq[id] = nil
  defStr[id] = nil
  ucache[id] = nil
  known = known - 1
  if destroyedNow[id] then pendDestroyed[#pendDestroyed + 1] = id
  else pendHidden[#pendHidden + 1] = id end
end

local function addUnit(id, newIds, nn)
  nn = nn + 1; newIds[nn] = id
  local _, still = defOf(id)
  local r = rings[still and 2 or 1]
  local o = #r.ids + 1
  r.ids[o] = id
  r.live = r.live + 1
  posOf[id] = o
  ringOf[id] = r
  known = known + 1
  if mark[id] ~= gen then scanState.marked = scanState.marked + 1 end
  mark[id] = gen
  return nn
end

-- After a scan of generation `g` that saw `seen` of the known units: the known units it did not mark are gone
-- (left without a call-in); each ring is gone through only while some are missing.
local function removeUnmarked(g, seen)
  for k = 1, 2 do
    if seen == known then return end
    local ids = rings[k].ids
    for i = 1, #ids do
      local id = ids[i]
      if id and mark[id] ~= g then removeUnit(id) end
    end
  end
end

-- Reconcile the tracked set with what the engine shows. Returns the new ids (a reused buffer) and their count.
-- A full scan (GetAllUnits) runs on full snapshots and periodically (below); in between, the unit call-ins
-- (created, destroyed, given/taken, entered/left LOS and radar) are applied, each checked against the engine.
-- Whatever the call-ins miss, the next scan catches: at most a refresh cycle later for a player, two game seconds
-- for a full-view spectator, who gets every unit call-in (GetAllUnits builds a new table of every unit, 16 KB of
-- garbage at 1000 units). sliced (a full view): between whole scans, go through a scan's list a slice a snapshot,
-- a new one when `due`: the whole list in one frame made that frame the costliest.
local function reconcile(scan, sliced, due)
  local sc = scanState
  local newIds, nn = sc.newIds, 0
  if not scan then
    for i = 1, addN do
      local id = addList[i]
      if mark[id] == nil and not destroyedNow[id] and spGetUnitTeam(id) ~= nil and not SP.GetUnitIsDead(id) then
        nn = addUnit(id, newIds, nn)
      end
    end
    for i = 1, candN do
      local id = candList[i]
      if mark[id] and (destroyedNow[id] or spGetUnitTeam(id) == nil) then removeUnit(id) end
    end
    if sliced and (sc.list or due) then
      if not sc.list then
        gen = gen + 1
        sc.since, sc.list, sc.pos, sc.marked = 0, spGetAllUnits() or {}, 1, 0
      end
      local list, g = sc.list, gen
      local last = sc.pos + floor(#list / config.rate) -- a game second for the whole list
      if last > #list then last = #list end
      for i = sc.pos, last do
        local id = list[i]
        local m = mark[id]
        if m == nil then
          -- listed when the scan began: it may have gone since (no team), or be dying
          if not destroyedNow[id] and spGetUnitTeam(id) ~= nil and not SP.GetUnitIsDead(id) then
            nn = addUnit(id, newIds, nn)
          end
        elseif m ~= g then
          mark[id] = g
          sc.marked = sc.marked + 1
        end
      end
      sc.pos = last + 1
      -- the list is done: a known unit it did not find (the units added since are marked) left without a call-in
      if sc.pos > #list then
        sc.list = false
        removeUnmarked(g, sc.marked)
      end
    end
    clearCandidates()
    return newIds, nn
  end
  sc.since, sc.list = 0, false
  local list = spGetAllUnits() or {}
  gen = gen + 1
  local g = gen
  local n = 0
  for i = 1, #list do
    local id = list[i]
    -- A destroyed unit stays listed for up to two frames (GetUnitIsDead true). A known one that UnitDestroyed
    -- named is left unmarked (removed below as destroyed); an unknown one is only added when it is not dying
    -- (asking the engine about new ids only keeps the scan cheap).
    local m = mark[id]
    if m == nil then
      if not SP.GetUnitIsDead(id) then
        n = n + 1
        nn = addUnit(id, newIds, nn)
        mark[id] = g
      end
    elseif not destroyedNow[id] then
      n = n + 1
      mark[id] = g
    end
  end
  if n ~= known then
    -- some known units are gone: destroyed (we saw it die) or hidden (left view).
    -- The call-ins name most of them; scan everything only when they do not explain all.
    for i = 1, candN do
      local id = candList[i]
      local m = mark[id]
      if m and m ~= g then removeUnit(id) end
    end
    removeUnmarked(g, n)
  end
  clearCandidates()
  return newIds, nn
end

local function unitHz()
  return K.UNIT_HZ_LEVELS[unitLevel]
end

-- ids as '"key":[1,2,3]' after a comma; nil when there are none. The list is emptied.
local idList = (function()
  local buf = {}
  return function(key, t)
    local k = #t
    if k == 0 then return nil end
    local IT, it = NUM.text, NUM.int -- unit ids are below 65536 in the engine: each id's text is made once
    for i = 1, k do
      local v = t[i]
      buf[i] = IT[v] or it(v)
      t[i] = nil
    end
    local s = ',"' .. key .. '":[' .. tconcat(buf, ",", 1, k) .. "]"
    for i = 1, k do buf[i] = nil end
    return s
  end
end)()

-- Pieces of the snapshot being built: strings only, "" past the last one (see queueLine)
local parts = {}

local function clearDirty()
  for i = 1, #dirtyList do dirty[dirtyList[i]] = nil; dirtyList[i] = nil end
end

-- Builds the next snapshot as pieces in `parts`; returns their count and whether it stands alone (full or
-- minimal: a reader can apply it after a gap).
local function buildSnapshot(frame)
  local detail = config.detail
  local _, _, isPausedNow = spGetGameSpeed()
  local gi, gf = NUM.split(spGetGameSeconds()) -- num0 as pieces: the line's only new string is this one
  parts[1] = fmt('{"type":"snapshot","schema_version":"%s","seq":%d,"game_frame":%d,"game_seconds":%s%s,"is_paused":%s,"detail":"%s","teams":[',
    SCHEMA_VERSION, seq, frame, gi or "0", gf, jbool(isPausedNow or paused), detail)
  local n = 1
  -- the HUD walk's values: once after each walk of the team, and in every snapshot a reader may start from (full
  -- or minimal)
  local withHud = forceFull or detail == "minimal"
  for i = 1, #teamIds do
    if i > 1 then n = n + 1; parts[n] = "," end
    n = encodeTeam(parts, n, teamIds[i], frame, withHud)
  end
  if detail == "minimal" then
    forceFull = true -- units not tracked; the next standard snapshot must be full
    clearCandidates()
    clearDirty()
    n = n + 1; parts[n] = "]}\n"
    return n, true
  end
  local full = forceFull
  scanState.since = scanState.since + 1
  -- a full-view spectator gets every unit call-in: a scan once a second is enough, a slice of it each snapshot; a
  -- player gets no UnitDestroyed for enemies, which only the scan removes, so it scans whole once per refresh cycle
  local fv = view.full_view
  local due = scanState.since >= (fv and config.rate or floor(config.rate / unitHz()))
  local newIds, nn = reconcile(full or (due and not fv), fv, due)
  local s = seq
  if not full then
    local rate = config.rate
    local perSnap = known * unitHz() / rate
    if perSnap >= known then full = true end
  end
  n = n + 1
  parts[n] = full and '],"units_full":true,"units":[' or '],"units_full":false,"units":['
  local first = n + 1
  if full then
    for k = 1, 2 do
      local r = rings[k]
      compactRing(r)
      local ids = r.ids
      for i = 1, #ids do
        local id = ids[i]
        sentSeq[id] = s
        n = encodeUnit(parts, n, id, detail, n < first, frame)
      end
      r.cursor = 1
    end
    for i = #pendDestroyed, 1, -1 do pendDestroyed[i] = nil end
    for i = #pendHidden, 1, -1 do pendHidden[i] = nil end
    clearDirty()
    forceFull = false
  else
    -- delta: new units, dirty units, then the round-robin slice
    for i = 1, nn do
      local id = newIds[i]
      sentSeq[id] = s
      n = encodeUnit(parts, n, id, detail, n < first, frame)
    end
    for i = 1, #dirtyList do
      local id = dirtyList[i]
      if mark[id] and sentSeq[id] ~= s then
        sentSeq[id] = s
        n = encodeUnit(parts, n, id, detail, n < first, frame)
      end
    end
    clearDirty()
    local since = frame - K.RESEND_FRAMES
    local hz = unitHz()
    -- each ring: its share of this snapshot, so that the ring goes round unitHz() times a game second
    for ri = 1, 2 do
      local r = rings[ri]
      local ids, live = r.ids, r.live
      local total = #ids
      local k = floor(live * hz / config.rate) + 1
      local c, lap = r.cursor, r.lap
      local taken, wraps = 0, 0
      while taken < k and taken < live do
        if c > total then
          compactRing(r)
          total = #ids
          c, lap, wraps = 1, lap + 1, wraps + 1
          if total == 0 or wraps > 1 then break end -- (a live count gone wrong never loops for ever)
        end
        local id = ids[c]
        c = c + 1
        if id then
          taken = taken + 1
          if sentSeq[id] ~= s then
            sentSeq[id] = s
            local uc = ucache[id]
            -- a structure unchanged at its last look: looked at in one lap of unitHz(), its own by its id, so each
            -- lap looks at a share of them (all in the same lap made one snapshot in six costly)
            if not (uc and uc[19] and (lap + id) % hz ~= 0) then
              n = encodeUnit(parts, n, id, detail, n < first, frame, since)
            end
          end
        end
      end
      r.cursor, r.lap = c, lap % 3600 -- small: exact in floats (3600 is a multiple of every unit rate)
    end
  end
  n = n + 1
  parts[n] = "]"
  local d, h = idList("destroyed", pendDestroyed), idList("hidden", pendHidden)
  if d then n = n + 1; parts[n] = d end
  if h then n = n + 1; parts[n] = h end
  n = n + 1
  parts[n] = "}\n"
  return n, full
end

--------------------------------------------------------------------------------
-- Queue (whole lines; drops oldest snapshots, never hello/events/bye)
--------------------------------------------------------------------------------
local sendStatus -- forward

-- The queue's tables are reused: a new pair per frame would be garbage every frame
local function qClear()
  for i = qHead, qTail do qItems[i], qKinds[i] = nil, nil end
  qHead, qTail, qBytes, qOffset = 1, 0, 0, 0
end

local function qPush(line, kind)
  qTail = qTail + 1
  qItems[qTail] = line
  qKinds[qTail] = kind
  qBytes = qBytes + #line
end

-- A snapshot is queued as chunks: its first has kind "full" (it stands alone: full or minimal) or "delta", the
-- others "more".
-- Index just past the line partly on the wire (its first chunk partly or wholly sent), or qHead.
local function qAfterInFlight()
  local i = qHead
  if i <= qTail and (qOffset > 0 or qKinds[i] == "more") then
    i = i + 1
    while i <= qTail and qKinds[i] == "more" do i = i + 1 end
  end
  return i
end

-- Drops the oldest whole snapshots (not the one partly on the wire) until `need` bytes fit, and every delta that
-- follows a dropped snapshot (it builds on it) up to the next full one. Returns how many were dropped and whether
-- the newest queued snapshot went too (then a new delta would build on a dropped one as well).
local function qMakeRoom(need)
  local i = qAfterInFlight()
  local droppedNow, chain = 0, false
  while i <= qTail do
    local k = qKinds[i]
    if (k == "full" or k == "delta") and qItems[i] then
      if (chain and k == "delta") or qBytes + need > K.QUEUE_MAX_BYTES then
        repeat
          if qItems[i] then qBytes = qBytes - #qItems[i]; qItems[i] = false end
          i = i + 1
        until i > qTail or qKinds[i] ~= "more"
        droppedNow, chain = droppedNow + 1, true
      elseif k == "full" or not chain then
        chain = false -- room made, and nothing from here on builds on a dropped snapshot
        break
      end
    else
      i = i + 1
    end
  end
  return droppedNow, chain
end

local function noteDrops(k)
  if k > 0 then
    dropped = dropped + k
    droppedTotal = droppedTotal + k
    forceFull = true
  end
end


-- Joins parts[1..n] into chunks of up to CHUNK pieces: chunks[1..k]; returns k and the line's length.
-- Why not table.concat: its buffer (LUAL_BUFFERSIZE, 512 bytes on Windows) flushes into intermediate strings that
-- are merged again, so a 25 KB line cost several times its size in garbage. One `a .. b .. c` expression builds its
-- result in one piece (luaV_concat), so each chunk is one string and a line costs about its own size.
-- parts is not cleared after use (the next line overwrites it): it keeps at most the longest line's pieces alive.
local chunks = {}
local makeChunks = (function()
  local CHUNK = 120 -- the generated function holds 2 x CHUNK registers; Lua allows 250
  local unpack, names = unpack, {}
  for i = 1, CHUNK do names[i] = "a" .. i end
  local make = loadstring and
    loadstring("return function(" .. tconcat(names, ",") .. ") return " .. tconcat(names, "..") .. " end")
  local concatChunk = make and make()
  return function(n)
    -- past the last piece, up to the end of its chunk: "" (a trailing "" adds nothing and costs nothing)
    for i = n + 1, n - n % CHUNK + CHUNK do parts[i] = "" end
    local k, bytes = 0, 0
    for i = 1, n, CHUNK do
      local chunk = concatChunk and concatChunk(unpack(parts, i, i + CHUNK - 1)) or tconcat(parts, "", i, i + CHUNK - 1)
      k = k + 1
      chunks[k] = chunk
      bytes = bytes + #chunk
    end
    return k, bytes
  end
end)()

-- queue the snapshot in parts[1..n], or drop it (oldest first) when the reader is too far behind
local function enqueueSnapshot(n, standsAlone)
  if connState ~= "connected" then return false end
  -- joined first (a dropped line's chunks are garbage, but drops are rare and the length is then known for free)
  local k, bytes = makeChunks(n)
  local ok = true
  if qBytes + bytes > K.QUEUE_MAX_BYTES then
    local made, chain = qMakeRoom(bytes)
    noteDrops(made)
    if chain and not standsAlone then
      -- this delta follows the snapshots just dropped: after the gap the reader needs a full one (the next)
      ok = false
    elseif qBytes + bytes > K.QUEUE_MAX_BYTES and qBytes > K.QUEUE_MAX_BYTES / 4 then
      -- a line longer than the whole bound (a full snapshot of a big game) still goes out once the reader has
      -- caught up, or such a game would never stream: the queue then holds at most that one line more
      ok = false
    end
  end
  if ok then
    for i = 1, k do qPush(chunks[i], i > 1 and "more" or (standsAlone and "full" or "delta")) end
  else
    noteDrops(1)
  end
  for i = 1, k do chunks[i] = nil end
  return ok
end

-- version: the protocol version of the line when it carries a later minor version's fields (default SCHEMA_VERSION)
local function emitEvent(body, version)
  if connState ~= "connected" then return end
  -- events are never dropped (snapshots make room for them later)
  qPush(fmt('{"type":"event","schema_version":"%s","event":%s,"game_frame":%d}\n',
    version or SCHEMA_VERSION, body, gameFrame()), "event")
end

-- A team's description changed (a player resigned, dropped or came back): team_changed with the whole new one.
-- Checked on the player call-ins (every team at once) and every 2 s (the players read in one Update, then one team
-- per Update: 16 teams' descriptions in one frame would be a spike); also while disconnected, so resignations are
-- seen (hud.readPlayers).
function hud.checkTeam(t)
  local old = hud.sent[t]
  local s = encodeTeamInfo(t)
  if old and s ~= old then emitEvent('"team_changed","team":' .. s) end
end

function hud.checkTeams()
  hud.checkedAt, hud.nextCheck = now(), nil
  hud.readPlayers()
  if connState ~= "connected" then return end
  for i = 1, #teamIds do hud.checkTeam(teamIds[i]) end
end

-- from Update
function hud.pollTeams(t)
  local i = hud.nextCheck
  if t - (hud.checkedAt or 0) >= 2 then
    hud.checkedAt, i = t, 1
    hud.readPlayers()
  elseif i and connState == "connected" and teamIds[i] then
    hud.checkTeam(teamIds[i])
    i = i + 1
  end
  hud.nextCheck = i
end

--------------------------------------------------------------------------------
-- Decision points (protocol 1.2 `orders`): commands given to units, builds started, factory queue changes
--------------------------------------------------------------------------------
-- One table of functions (the main chunk is near Lua 5.1's 200 locals). What a frame decides is collected in reused
-- entry tables and goes out as one `orders` event once the frame is over, stamped with the frame it was decided in.
-- Bounded: at most K.ORDERS_MAX entries naming K.ORDER_IDS_MAX units a frame, and an event never passes the send
-- queue's bound (a reader that is far behind loses orders, not memory). What does not fit is counted in `dropped`
-- (status `dropped_orders`), never kept.
local orders = (function()
  local O = { dropped = 0, reported = 0, sent = 0, warned = false }
  local es, n, frame = {}, 0, -1     -- entries of the frame being collected (tables reused), their count, the frame
  local idv, idnext, nids = {}, {}, 0 -- unit ids of the frame: slot -> id, slot -> next slot of the same command
  local byKey, keys = {}, {}          -- command key -> its entry this frame (units given the same order share it)
  local buf, ebuf = {}, {}            -- scratch: params or ids; an event's pieces (emptied after each use)
  local isFactory, cmdNames = {}, {}  -- def id -> bool, command id -> ',"cmd_name":...' (finite: the game's defs, CMD)
  -- CMD maps ids to names and back, and two legacy aliases overwrite their command's name (both engines'
  -- LuaConstCMD): CMD[20] is "LOOPBACKATTACK" and CMD[105] "DGUN"
  local ALIASES = { LOOPBACKATTACK = "attack", DGUN = "manualfire" }

  function O.enabled()
    local o = config.orders
    return o == "on" or (o ~= "off" and config.detail == "comprehensive")
  end

  -- A player exports its own ally team's orders only, a full-view spectator every team's. The engine already calls
  -- the unit call-ins only for ally teams the client can read; this holds whatever a handler or gadget forwards.
  local allyOf = {} -- team -> its ally team (fixed for a game; a few dozen teams at most), or false
  local function readable(team)
    if type(team) ~= "number" then return false end
    if view.full_view then return true end
    local ally = allyOf[team]
    if ally == nil then
      local _, _, _, _, _, a = spGetTeamInfo(team, false)
      ally = type(a) == "number" and a or false
      allyOf[team] = ally -- callers pass team ids 0-254 only
    end
    return ally ~= false and ally == view.ally_team_id
  end

  local function okId(v, max) return type(v) == "number" and v >= 0 and v < max and v % 1 == 0 end

  local function cmdName(id)
    local s = cmdNames[id]
    if s then return s end
    local name
    if id < 0 then
      local ud = UnitDefs and UnitDefs[-id]
      name = ud and ud.name
    else
      name = CMD and CMD[id]
      if type(name) == "string" then name = ALIASES[name] or name:lower() end
    end
    if type(name) ~= "string" or name == "" then return "" end -- not cached: unknown ids are unbounded
    s = ',"cmd_name":' .. jstr(name:sub(1, 64))
    cmdNames[id] = s
    return s
  end

  local function factory(def)
    local f = isFactory[def]
    if f == nil then
      local ud = UnitDefs and UnitDefs[def]
      f = (ud and ud.isFactory) and true or false
      isFactory[def] = f
    end
    return f
  end

  -- the engine's coded option bits: options is a table with `coded` (and booleans); some handlers pass the number
  local function coded(o)
    local c = o
    if type(o) == "table" then
      c = o.coded
      if type(c) ~= "number" then
        c = (o.meta and 4 or 0) + (o.internal and 8 or 0) + (o.right and 16 or 0) + (o.shift and 32 or 0)
          + (o.ctrl and 64 or 0) + (o.alt and 128 or 0)
      end
    end
    if type(c) ~= "number" or not (c >= 0 and c < 256) then return 0 end
    return c - c % 1
  end

  -- params as ',"params":[...]', "" for none; cut at K.ORDER_PARAMS_MAX; "" when one is not a number the reader
  -- accepts (NaN, inf, beyond 1e12): the reader would refuse the whole line
  local function paramsText(p)
    if type(p) ~= "table" then return "" end
    local k = #p
    if k == 0 then return "" end
    if k > K.ORDER_PARAMS_MAX then k = K.ORDER_PARAMS_MAX end
    local ok = true
    for i = 1, k do
      local v = p[i]
      local s = num(v)
      if not s or v > 1e12 or v < -1e12 then ok = false; s = "" end
      buf[i] = s
    end
    local s = ok and (',"params":[' .. tconcat(buf, ",", 1, k) .. "]") or ""
    for i = 1, k do buf[i] = nil end
    return s
  end

  local function encode(e)
    if e.kind == 1 then
      local k, slot = 0, e.first
      while slot do k = k + 1; buf[k] = fmt("%d", idv[slot]); slot = idnext[slot] end
      local ids = tconcat(buf, ",", 1, k)
      for i = 1, k do buf[i] = nil end
      return fmt('{"kind":"command","team_id":%d,"unit_ids":[%s],"cmd_id":%d%s%s,"options":%d%s}', e.team, ids, e.cmd,
        cmdName(e.cmd), e.params, e.opts, e.player >= 0 and (',"player_id":' .. e.player) or "")
    elseif e.kind == 2 then
      return fmt('{"kind":"build_started","team_id":%d,"unit_id":%d,"def_id":%d,"builder_id":%d}', e.team, e.unit,
        e.def, e.builder)
    end
    return fmt('{"kind":"factory_queue","team_id":%d,"unit_id":%d,"def_id":%d,"build_def_id":%d,"count":%d%s}',
      e.team, e.unit, e.def, e.bdef, e.count, e.player >= 0 and (',"player_id":' .. e.player) or "")
  end

  local function clear()
    for i = 1, #keys do byKey[keys[i]] = nil; keys[i] = nil end
    n, nids = 0, 0
  end

  -- the collected frame as one event; dropped (counted) when the reader is too far behind
  function O.flush()
    if n == 0 then return end
    if connState == "connected" then
      for i = 1, n do ebuf[i] = encode(es[i]) end
      local line = fmt('{"type":"event","schema_version":"1.2","event":"orders","game_frame":%d,"orders":[%s]}\n',
        frame, tconcat(ebuf, ",", 1, n))
      for i = 1, n do ebuf[i] = nil end
      if qBytes + #line > K.QUEUE_MAX_BYTES then
        O.dropped = O.dropped + nids
      else
        qPush(line, "event")
        O.sent = O.sent + nids
      end
    end
    clear()
  end

  -- flush what an earlier frame decided (the game is at `f` now); while paused, whatever is collected. New drops
  -- are reported within a second or so.
  function O.due(f, isPaused)
    if n > 0 and (frame < f or isPaused) then O.flush() end
    if O.dropped ~= O.reported and connState == "connected" and now() - lastStatusAt > 1 then sendStatus() end
  end

  -- the setting: "auto" (at comprehensive detail), "on" or "off" (booleans too); false for anything else
  function O.set(v)
    if v == true then v = "on" elseif v == false then v = "off" end
    if v ~= "auto" and v ~= "on" and v ~= "off" then return false end
    if v ~= config.orders then O.flush() end
    config.orders = v
    return true
  end

  function O.reset()
    clear()
    O.dropped, O.reported, O.sent, frame = 0, 0, 0, -1
  end

  -- a new entry in the frame `f`, or nil when the frame is full (counted)
  local function entry(f, kind, team)
    if n > 0 and f ~= frame then O.flush() end
    frame = f
    if n >= K.ORDERS_MAX or nids >= K.ORDER_IDS_MAX then O.dropped = O.dropped + 1; return nil end
    n = n + 1
    local e = es[n]
    if not e then e = {}; es[n] = e end
    e.kind, e.team = kind, team
    nids = nids + 1
    return e
  end

  -- UnitCommand(unitID, unitDefID, unitTeam, cmdID, cmdParams, cmdOpts, cmdTag, playerID, fromSynced, fromLua)
  function O.command(unitID, defID, team, cmdID, a5, a6, _, player)
    if connState ~= "connected" or not O.enabled() or not okId(unitID, 32000) or not okId(team, 255)
      or not readable(team) then return end
    if type(cmdID) ~= "number" or not (cmdID > -16384 and cmdID < 16777216) or cmdID % 1 ~= 0 then
      -- The engines' own widgets.lua (Spring 106, Recoil) passes an undefined `cmdID` instead of its parameter
      -- `cmdId`; BAR's barwidgets.lua passes it. Without the id there is no command to export.
      O.dropped = O.dropped + 1
      if not O.warned then
        O.warned = true
        log("this widget handler passes UnitCommand no command id (the engine's own widgets.lua does not): orders without one are counted as dropped")
      end
      return
    end
    -- the engine passes params, then options (a table with `coded`); tell them apart by shape, not position
    local params, opts = a5, a6
    if type(a5) == "number" or (type(a5) == "table" and a5.coded ~= nil) then params, opts = a6, a5 end
    local f = gameFrame()
    local c = coded(opts)
    local pl = (type(player) == "number" and player >= 0 and player <= 250) and player - player % 1 or -1
    if cmdID < 0 and okId(defID, 16384) and factory(defID) then
      -- a factory's queue: shift 5, ctrl 20, both 100 (the engine's FactoryCAI); a right click removes
      local e = entry(f, 3, team)
      if not e then return end
      local count = (c % 64 >= 32 and 5 or 1) * (c % 128 >= 64 and 20 or 1)
      e.unit, e.def, e.bdef, e.count, e.player = unitID, defID, -cmdID, c % 32 >= 16 and -count or count, pl
      return
    end
    local p = paramsText(params)
    local key = fmt("%d %d %d %d%s", team, cmdID, c, pl, p)
    if n > 0 and f ~= frame then O.flush() end
    local e = byKey[key]
    if e then
      if nids >= K.ORDER_IDS_MAX then O.dropped = O.dropped + 1; return end
      nids = nids + 1
      idv[nids], idnext[nids], idnext[e.last] = unitID, false, nids
      e.last = nids
      return
    end
    e = entry(f, 1, team)
    if not e then return end
    idv[nids], idnext[nids] = unitID, false
    e.first, e.last, e.cmd, e.params, e.opts, e.player = nids, nids, cmdID, p, c, pl
    byKey[key] = e
    keys[#keys + 1] = key
  end

  -- UnitCreated(unitID, unitDefID, unitTeam, builderID): the builder comes only when a unit builds it
  function O.created(unitID, defID, team, builderID)
    if builderID == nil or connState ~= "connected" or not O.enabled() then return end
    if not (okId(unitID, 32000) and okId(builderID, 32000) and okId(defID, 16384) and okId(team, 255))
      or not readable(team) then return end
    local e = entry(gameFrame(), 2, team)
    if e then e.unit, e.def, e.builder = unitID, defID, builderID end
  end

  return O
end)()

--------------------------------------------------------------------------------
-- Socket state machine
--------------------------------------------------------------------------------
local function closeSocket()
  if sock then pcall(sock.close, sock) end
  sock = nil
end

-- The engine's LuaSocket refuses a connect its TCPAllowConnect setting does not allow ("connect denied"; Spring 106
-- rejects an entry like 127.0.0.1:* and then denies every connect): the status must say which setting, or it only
-- says that the widget retries, forever.
local function deniedHint()
  return fmt("the engine's TCPAllowConnect setting denies %s:%d: add %s:%d (or *) to it in springsettings.cfg "
    .. "(space-separated host:port entries; host:* is invalid), then restart the game", config.host, config.port,
    config.host, config.port)
end

local function scheduleRetry(reason)
  closeSocket()
  qClear()
  local denied = type(reason) == "string" and reason:find("denied", 1, true) ~= nil
  if denied and lastError ~= reason then log("connect denied: " .. deniedHint()) end
  lastError = reason
  failures = failures + 1
  local base = K.BACKOFF_MIN * 2 ^ (failures - 1)
  if base > K.BACKOFF_MAX then base = K.BACKOFF_MAX end
  -- jitter from the sub-second phase of the clock, the game frame and the player (math.random is shared with
  -- every widget and unseeded; these keep enough precision even as 32-bit floats after hours)
  local jitter = (now() + (view.player_id or 0) * 0.618034 + gameFrame() * 0.0137) % 1
  backoff = base * (0.8 + 0.4 * jitter)
  if backoff > K.BACKOFF_MAX then backoff = K.BACKOFF_MAX end
  retryAt = now() + backoff
  connState = config.enabled and "reconnecting" or "off"
end

local function resolveHost(h)
  if h == "localhost" then return "127.0.0.1" end
  if type(h) == "string" and h:match("^%d+%.%d+%.%d+%.%d+$") then return h end
  return nil
end

local function onConnected()
  connState = "connected"
  connections = connections + 1
  failures = 0
  backoff = K.BACKOFF_MIN
  lastError = nil
  qClear()
  dropped = 0
  reportedDropped = 0
  seq = 0
  forceFull = true
  resetUnitTracking()
  orders.reset()
  lastReadCheck = now()
  lastStatusAt = now()
  -- small lines must not wait for delayed ACKs (Nagle): a snapshot is due every frame
  if sock.setoption then pcall(sock.setoption, sock, "tcp-nodelay", true) end
  readTeams()
  view = readView()
  qPush(encodeHello(), "hello")
  log("connected to " .. config.host .. ":" .. config.port)
end

local function startConnect()
  if not config.enabled then connState = "off"; return end
  local addr = resolveHost(config.host)
  if not addr then
    scheduleRetry("host must be an IP address (no DNS lookups in game): " .. tostring(config.host))
    return
  end
  if not socket or not socket.tcp then
    scheduleRetry("LuaSocket not available")
    return
  end
  local s, err = socket.tcp()
  if not s then scheduleRetry(err or "socket.tcp failed"); return end
  s:settimeout(0)
  sock = s
  local ok, cerr = s:connect(addr, config.port)
  connStarted = now()
  if ok == 1 or cerr == "already connected" then
    onConnected()
  elseif cerr == "timeout" or cerr == "Operation already in progress" then
    connState = "connecting"
  else
    scheduleRetry(cerr or "connect failed")
  end
end

local function pollConnecting()
  local _, w = socket.select(nil, { sock }, 0)
  if w and (w[1] or w[sock]) then
    if sock:getpeername() then
      onConnected()
    else
      -- refused: find out why when possible
      local _, err = sock:connect(resolveHost(config.host) or "127.0.0.1", config.port)
      if err == "already connected" then onConnected() else scheduleRetry(err or "connection refused") end
    end
    return
  end
  if now() - connStarted > K.CONNECT_TIMEOUT then
    scheduleRetry("connect timed out")
  end
end

local function countSent(n)
  sentRest = sentRest + n -- n < 8 MiB (a line): the sum stays below 2^24
  if sentRest >= 1048576 then
    local m = floor(sentRest / 1048576)
    sentMiB, sentRest = sentMiB + m, sentRest - m * 1048576
  end
end

-- A snapshot is queued as several chunks. With TCP_NODELAY every send() of a chunk became its own segment, and on
-- loopback the kernel runs the reader's side of each inside that call: 0.5-0.9 ms a frame in Spring 106 for a
-- 1000-unit game. So Nagle is on while one call hands its chunks to the kernel, and off again at its end, which
-- pushes what is pending at once (Linux: setting TCP_NODELAY pushes pending frames): one or two segments a frame,
-- no delayed-ACK wait.
local function flush()
  if connState ~= "connected" or not sock or qHead > qTail then return end
  local nodelay = sock.setoption
  if nodelay then nodelay(sock, "tcp-nodelay", false) end
  local budget = K.SEND_BUDGET_BYTES
  while qHead <= qTail and budget > 0 do
    local item = qItems[qHead]
    if not item then
      qItems[qHead], qKinds[qHead] = nil, nil
      qHead = qHead + 1
      qOffset = 0
    else
      local last, err, partial = sock:send(item, qOffset + 1)
      if last then
        local sent = last - qOffset
        countSent(sent)
        budget = budget - sent
        qBytes = qBytes - #item
        qItems[qHead], qKinds[qHead] = nil, nil
        qHead = qHead + 1
        qOffset = 0
      elseif err == "timeout" then
        if partial and partial > qOffset then
          countSent(partial - qOffset)
          qOffset = partial
        end
        break -- the kernel's buffer is full: the rest next time (and what is pending pushed below)
      else
        scheduleRetry("send failed: " .. tostring(err))
        return
      end
    end
  end
  if qHead > qTail then qClear() end
  if nodelay and sock then nodelay(sock, "tcp-nodelay", true) end
end

-- notice a reader that closed the connection even when there is nothing to send
local function checkPeer()
  if now() - lastReadCheck < 0.5 then return end
  lastReadCheck = now()
  local r = socket.select({ sock }, nil, 0)
  if r and (r[1] or r[sock]) then
    local _, err = sock:receive("*a")
    if err == "closed" then scheduleRetry("reader closed the connection") end
  end
end

local function pollSocket()
  if not config.enabled then
    if connState ~= "off" then closeSocket(); qClear(); connState = "off" end
    return
  end
  if connState == "disconnected" or (connState == "reconnecting" and now() >= retryAt) then
    startConnect()
  end
  -- also right after starting: on loopback the connection is usually up at once, and the hello leaves in this frame
  if connState == "connecting" then
    pollConnecting()
  end
  if connState == "connected" then
    flush()
    if connState == "connected" then checkPeer() end
  end
end

local function disconnect(reason)
  if sock and connState == "connected" then
    -- keep only the line already partly on the wire (it must be finished), then say bye
    local keepTo = qAfterInFlight() - 1
    for i = keepTo + 1, qTail do qBytes = qBytes - #(qItems[i] or ""); qItems[i], qKinds[i] = nil, nil end
    qTail = keepTo
    qPush(fmt('{"type":"bye","schema_version":"%s","game_frame":%d,"reason":%s}\n', SCHEMA_VERSION, gameFrame(), jstr(reason)), "bye")
    -- the only wait the widget ever does: at most 0.1 s, when leaving, so the last line is whole
    pcall(sock.settimeout, sock, 0.1)
    flush()
  end
  closeSocket()
  qClear()
end

--------------------------------------------------------------------------------
-- Status, throttling
--------------------------------------------------------------------------------
local function statusMessage()
  if unitLevel > 1 then
    return fmt("frame cost %.1f ms over budget %.1f ms: units refreshed at %d Hz", costEma, config.budgetMs, unitHz())
  end
  return "ok"
end

sendStatus = function()
  lastStatusAt = now()
  if qBytes >= K.QUEUE_MAX_BYTES then return end -- the count is cumulative: the next status reports it
  reportedDropped = dropped
  -- 1.2's dropped_orders while decision points are exported (or some were dropped)
  local withOrders = orders.enabled() or orders.dropped > 0
  orders.reported = orders.dropped
  emitEvent(fmt('"status","dropped_snapshots":%d,"queue_bytes":%d,"rate_hz":%d,"unit_rate_hz":%d,"detail":"%s","throttled":%s,"frame_cost_ms":%s,"message":%s%s',
    dropped, qBytes, config.rate, unitHz(), config.detail, jbool(unitLevel > 1), num0(costEma), jstr(statusMessage()),
    withOrders and (',"dropped_orders":' .. fmt("%d", orders.dropped)) or ""), withOrders and "1.2" or nil)
end

-- The waits between changes pass on wall time or game time, whichever passes first: at 20x (a replay fast-forwarded)
-- 5 s of wall time are 100 game seconds at a lowered rate; at half speed 5 game seconds are 10 s of wall time. The
-- average is per game frame, so it follows a change within a few dozen frames whatever the speed.
local adjustThrottle = (function()
local changedAt, changedFrame = 0, 0 -- the clock and the game frame of the last change

local function setLevel(level, t, frame)
  unitLevel, changedAt, changedFrame = level, t, frame
  sendStatus()
end

return function(costMs, frame)
  costEma = costEma + (costMs - costEma) * 0.05
  local t = now()
  local since = t - changedAt
  local game = (frame - changedFrame) / 30
  if game > since then since = game end
  if since < K.THROTTLE_HOLD then return end
  local budget = config.budgetMs
  if budget <= 0 then
    if unitLevel > 1 then setLevel(1, t, frame) end
    return
  end
  if costEma > budget and unitLevel < #K.UNIT_HZ_LEVELS then
    setLevel(unitLevel + 1, t, frame)
  elseif costEma < budget * 0.4 and unitLevel > 1 and since > K.THROTTLE_RECOVER then
    setLevel(unitLevel - 1, t, frame)
  end
end
end)()

local function statusText()
  if not config.enabled or connState == "off" then return "off" end
  if connState == "connected" then
    local s = "connected to " .. config.host .. ":" .. config.port
    if dropped > 0 then s = s .. fmt(" (%d snapshots dropped)", dropped) end
    if unitLevel > 1 then s = s .. fmt(" (throttled: units at %d Hz)", unitHz()) end
    return s
  elseif connState == "connecting" then
    return "connecting to " .. config.host .. ":" .. config.port
  elseif connState == "reconnecting" then
    local left = retryAt - now()
    if left < 0 then left = 0 end
    local why = tostring(lastError or "not connected")
    if why:find("denied", 1, true) then
      why = fmt("%s: allow %s:%d with TCPAllowConnect in springsettings.cfg", why, config.host, config.port)
    end
    return fmt("retrying in %d s (%s)", floor(left + 0.5), why)
  end
  return "disconnected"
end

--------------------------------------------------------------------------------
-- Snapshot scheduling
--------------------------------------------------------------------------------
local function takeSnapshot(frame)
  lastSnap.clock, lastSnap.frame = now(), frame
  if connState ~= "connected" then
    -- nothing is tracked while disconnected: the first snapshot after connecting is full
    forceFull = true
    clearCandidates()
    clearDirty()
    return
  end
  -- the reader is far behind: do not spend time building a snapshot that would be dropped
  if qBytes >= K.QUEUE_SKIP_BYTES then
    noteDrops(1)
    seq = seq + 1 -- a dropped snapshot: the reader sees the gap
    if now() - lastStatusAt > 1 then sendStatus() end
    return
  end
  enqueueSnapshot(buildSnapshot(frame))
  seq = seq + 1 -- also when dropped: the reader sees the gap
  -- report drops at most once a second, and as soon as the reader has room again
  if dropped ~= reportedDropped and (now() - lastStatusAt > 1 or qBytes < K.QUEUE_SKIP_BYTES / 4) then sendStatus() end
end

local function checkPause()
  local _, _, p = spGetGameSpeed()
  p = p and true or false
  if p ~= paused then
    paused = p
    emitEvent(p and '"paused"' or '"unpaused"')
  end
end

local function checkView()
  local v = readView()
  if not sameView(v, view) then
    orders.flush() -- what the old eyes could read
    view = v
    forceFull = true
    defStr = {} -- what the new eyes know about unit types differs
    ucache = {}
    hud.reset()
    emitEvent('"view_changed","view":' .. encodeView())
    takeSnapshot(gameFrame())
  end
end

local function winners()
  local alive = {}
  for i = 1, #teamIds do
    local _, _, isDead, _, _, ally = spGetTeamInfo(teamIds[i], false)
    if not isDead and ally then alive[ally] = true end
  end
  local ws = {}
  for a in pairs(alive) do ws[#ws + 1] = a end
  table.sort(ws)
  return ws
end

--------------------------------------------------------------------------------
-- Commands and settings
--------------------------------------------------------------------------------
local function applyEnabled(on)
  config.enabled = on and true or false
  if config.enabled then
    if connState == "off" or connState == "reconnecting" then
      failures = 0
      connState = "disconnected"
    end
  else
    disconnect("disabled")
    connState = "off"
  end
end

local function reconnectNow()
  if connState == "connected" then disconnect("reconfigured") else closeSocket() end
  failures = 0
  connState = config.enabled and "disconnected" or "off"
end

local function setRate(n)
  n = tonumber(n)
  if not n or n ~= n then return false end
  if n < 1 then n = 1 elseif n > 30 then n = 30 end -- before floor: it casts to a 32-bit int in the engine
  n = floor(n)
  config.rate = n
  return true
end

local function setDetail(d)
  if not DETAILS[d] then return false end
  if d ~= config.detail then
    config.detail = d
    forceFull = true
  end
  return true
end

local function handleCommand(words)
  local sub = words[1]
  local arg = words[2]
  if sub == nil or sub == "status" then
    log(fmt("%s | rate %d Hz, detail %s, units %d Hz, queue %d B, dropped %d, sent %s MiB, cost %.2f ms/frame, orders %s (%s, %d dropped)",
      statusText(), config.rate, config.detail, unitHz(), qBytes, droppedTotal, num0(sentMiB + sentRest / 1048576),
      costEma, config.orders, orders.enabled() and "on" or "off", orders.dropped))
    if connState ~= "connected" and type(lastError) == "string" and lastError:find("denied", 1, true) then
      log(deniedHint())
    end
  elseif sub == "connect" then
    applyEnabled(true); reconnectNow(); log("connecting to " .. config.host .. ":" .. config.port)
  elseif sub == "disconnect" then
    applyEnabled(false); log("disconnected (off); /livedata connect to resume")
  elseif sub == "host" and arg then
    if resolveHost(arg) then config.host = arg; reconnectNow(); log("host " .. arg)
    else log("host must be an IP address such as 127.0.0.1") end
  elseif sub == "token" and arg then
    -- the overlay's --token (two PCs); "none" clears it. Never echoed: it is a secret.
    config.token = (arg == "none") and "" or arg:sub(1, 256); reconnectNow(); log("token set")
  elseif sub == "port" and arg then
    local p = tonumber(arg)
    if p and p >= 1 and p <= 65535 then config.port = floor(p); reconnectNow(); log("port " .. config.port)
    else log("port must be 1-65535") end
  elseif sub == "rate" and arg then
    if setRate(arg) then log("rate " .. config.rate .. " Hz") else log("rate must be 1-30") end
  elseif sub == "detail" and arg then
    if setDetail(arg) then log("detail " .. config.detail) else log("detail must be minimal, standard or comprehensive") end
  elseif sub == "orders" and arg then
    if orders.set(arg) then log("orders " .. config.orders .. (orders.enabled() and " (exported)" or " (not exported)"))
    else log("orders must be auto (at comprehensive detail), on or off") end
  elseif sub == "show" or sub == "hide" then
    config.showStatus = (sub == "show")
  else
    log("usage: /livedata status|connect|disconnect|host H|port P|token T|rate N|detail D|orders auto|on|off|show|hide")
  end
end

local function onAction(cmd, optLine, optWords)
  local ok, err = pcall(function()
    local words = {}
    if type(optWords) == "table" then
      for i = 1, #optWords do words[i] = optWords[i] end
    elseif type(optLine) == "string" then
      for w in optLine:gmatch("%S+") do words[#words + 1] = w end
    end
    handleCommand(words)
  end)
  if not ok then log("command error: " .. tostring(err)) end
  return true
end


local function addOptions()
  local opts = WG and WG["options"]
  if not (opts and opts.addOptions) then return end
  local detailIndex = 2
  for i = 1, 3 do if K.DETAIL_LIST[i] == config.detail then detailIndex = i end end
  local ordersIndex = 1
  for i = 1, 3 do if K.ORDERS_LIST[i] == config.orders then ordersIndex = i end end
  -- no `category`: BAR's options menu shows category 2 ("advanced") only with advanced settings on
  local ok = pcall(opts.addOptions, {
    { id = "livedata_enabled", group = "custom", widgetname = "Live Data Export", name = "Live data export",
      type = "bool", value = config.enabled, description = "Stream game data to the overlay on 127.0.0.1",
      onchange = function(_, v) pcall(applyEnabled, v) end },
    { id = "livedata_rate", group = "custom", widgetname = "Live Data Export", name = "   snapshots per second",
      type = "slider", min = 1, max = 30, step = 1, value = config.rate,
      description = "How often the overlay gets a snapshot",
      onchange = function(_, v) pcall(setRate, v) end },
    { id = "livedata_detail", group = "custom", widgetname = "Live Data Export", name = "   detail",
      type = "select", options = K.DETAIL_LIST, value = detailIndex,
      description = "minimal: teams only; comprehensive: adds velocity and experience",
      onchange = function(_, v) pcall(setDetail, K.DETAIL_LIST[v] or v) end },
    { id = "livedata_orders", group = "custom", widgetname = "Live Data Export", name = "   orders (decision points)",
      type = "select", options = K.ORDERS_LIST, value = ordersIndex,
      description = "Orders given to units, builds started, factory queues: auto = at comprehensive detail",
      onchange = function(_, v) pcall(orders.set, K.ORDERS_LIST[v] or v) end },
    { id = "livedata_status", group = "custom", widgetname = "Live Data Export", name = "   show status text",
      type = "bool", value = config.showStatus, description = "Small connection status line on screen",
      onchange = function(_, v) config.showStatus = v and true or false end },
  })
  optionsAdded = ok
end

local function removeOptions()
  local opts = WG and WG["options"]
  if optionsAdded and opts and opts.removeOptions then pcall(opts.removeOptions, K.OPTION_IDS) end
  optionsAdded = false
end

--------------------------------------------------------------------------------
-- Call-ins (every one guarded: an error must never unload the widget)
--------------------------------------------------------------------------------
local errorCount = 0
local function guard(name, f, ...)
  local ok, err = pcall(f, ...)
  if not ok then
    errorCount = errorCount + 1
    forceFull = true
    if errorCount <= 10 or errorCount % 1000 == 0 then
      log(fmt("error in %s (%d): %s", name, errorCount, tostring(err)))
    end
  end
end

local function timed(f, ...)
  local t = spGetTimer()
  f(...)
  frameCostAcc = frameCostAcc + spDiffTimers(spGetTimer(), t, true, timerMicros)
end

function widget:GetConfigData()
  return { enabled = config.enabled, host = config.host, port = config.port, rate = config.rate,
           detail = config.detail, showStatus = config.showStatus, queueKB = config.queueKB,
           budgetMs = config.budgetMs, token = config.token, orders = config.orders }
end

function widget:SetConfigData(data)
  guard("SetConfigData", function()
    if type(data) ~= "table" then return end
    if type(data.enabled) == "boolean" then config.enabled = data.enabled end
    if type(data.host) == "string" and resolveHost(data.host) then config.host = data.host end
    local p = tonumber(data.port)
    if p and p >= 1 and p <= 65535 then config.port = floor(p) end
    if data.rate then setRate(data.rate) end
    if type(data.detail) == "string" then setDetail(data.detail) end
    if type(data.showStatus) == "boolean" then config.showStatus = data.showStatus end
    if type(data.token) == "string" then config.token = data.token:sub(1, 256) end
    if data.orders ~= nil then orders.set(data.orders) end
    local b = tonumber(data.budgetMs)
    if b and b >= 0 and b <= 100 then config.budgetMs = b end
    -- at most 8 MiB: the queue's byte count (plus the lines that may pass the bound) stays below 2^24, exact in the
    -- engine's floats
    local q = tonumber(data.queueKB)
    if q and q == q then
      if q < 16 then q = 16 elseif q > 8192 then q = 8192 end
      config.queueKB = floor(q)
      K.QUEUE_MAX_BYTES = config.queueKB * 1024
      K.QUEUE_SKIP_BYTES = K.QUEUE_MAX_BYTES * 3 / 4
    end
  end)
end

function widget:Initialize()
  guard("Initialize", function()
    t0 = spGetTimer()
    isReplay = SP.IsReplay and SP.IsReplay() or false
    readTeams()
    view = readView()
    hud.readPlayers()
    lastFrame = gameFrame()
    gameStarted = lastFrame > 0
    local _, _, p = spGetGameSpeed()
    paused = p and true or false
    connState = config.enabled and "disconnected" or "off"
    if widgetHandler and widgetHandler.AddAction then
      widgetHandler:AddAction("livedata", onAction, nil, "t")
    end
    addOptions()
    WG["livedata"] = {
      status = function()
        return { state = connState, text = statusText(), queue_bytes = qBytes, dropped = dropped,
                 dropped_total = droppedTotal, bytes_sent = sentMiB * 1048576 + sentRest,
                 bytes_sent_mib = sentMiB, bytes_sent_rest = sentRest, connections = connections,
                 backoff = backoff, failures = failures, last_error = lastError, unit_rate_hz = unitHz(),
                 throttled = unitLevel > 1, cost_ms = costEma, errors = errorCount, seq = seq,
                 rate = config.rate, detail = config.detail, host = config.host, port = config.port,
                 enabled = config.enabled, orders = orders.enabled(), orders_setting = config.orders,
                 orders_sent = orders.sent, dropped_orders = orders.dropped }
      end,
    }
    pollSocket()
  end)
end

function widget:Shutdown()
  guard("Shutdown", function()
    disconnect(SP.IsGameOver and SP.IsGameOver() and "game_over" or "shutdown")
    connState = "off"
    if widgetHandler and widgetHandler.RemoveAction then widgetHandler:RemoveAction("livedata") end
    removeOptions()
    if WG then WG["livedata"] = nil end
  end)
end

local function gameFrameBody(n)
  local frame = gameFrame()
  if frame < n then frame = n end
  lastFrame = frame
  if not gameStarted and frame > 0 then
    gameStarted = true
  end
  orders.due(frame, false)
  hud.step(frame)
  snapAcc = snapAcc + config.rate / 30
  if snapAcc >= 1 then
    snapAcc = snapAcc - 1
    if snapAcc > 1 then snapAcc = 0 end
    takeSnapshot(frame)
  end
  flush()
end

function widget:GameFrame(n)
  guard("GameFrame", timed, gameFrameBody, n)
  -- cost of this frame plus the Update calls since the previous one
  guard("throttle", adjustThrottle, frameCostAcc, lastFrame)
  frameCostAcc = 0
end

local function updateBody()
  pollSocket()
  checkPause()
  orders.due(gameFrame(), paused)
  local t = now()
  if t - lastViewCheck >= 1 then
    lastViewCheck = t
    checkView()
  end
  hud.pollTeams(t)
  -- paused, not started, or a slow game at a low rate: keep the reader informed at 1 Hz. A frame already sent is
  -- not sent again while the game runs (a machine too busy to run a frame in a second): read after the frame's sim
  -- step, its teams' resources and totals have moved on from what GameFrame sent under the same frame number.
  local frame = gameFrame()
  if connState == "connected" and t - lastSnap.clock >= 1
     and (paused or not gameStarted or frame ~= lastSnap.frame) then
    takeSnapshot(frame)
  end
  if connState == "connected" and t - lastStatusAt >= K.STATUS_INTERVAL then sendStatus() end
  flush()
end

function widget:Update(dt)
  guard("Update", timed, updateBody)
end

function widget:GameStart()
  guard("GameStart", function()
    gameStarted = true
    emitEvent('"game_start"')
  end)
  guard("GameStart", hud.checkTeams) -- the players are active now
end

function widget:GameOver(winningAllyTeams)
  guard("GameOver", function()
    if gameOverSent then return end
    gameOverSent = true
    local ws = winningAllyTeams
    if type(ws) ~= "table" or #ws == 0 then ws = winners() end
    local p = {}
    for i = 1, #ws do p[i] = int(ws[i]) end
    takeSnapshot(gameFrame())
    emitEvent('"game_over","winners":[' .. tconcat(p, ",") .. "]")
    flush()
  end)
end

function widget:GamePaused(playerID, isPaused)
  guard("GamePaused", function()
    isPaused = isPaused and true or false
    if isPaused ~= paused then
      paused = isPaused
      local pid = type(playerID) == "number" and (',"player_id":' .. int(playerID)) or ""
      emitEvent((isPaused and '"paused"' or '"unpaused"') .. pid)
    end
  end)
end

function widget:TeamDied(teamID)
  guard("TeamDied", function()
    emitEvent('"team_died","team_id":' .. int(teamID))
    damageCache[teamID] = nil
  end)
  guard("TeamDied", hud.checkTeams)
end

function widget:PlayerChanged(playerID)
  guard("PlayerChanged", checkView)
  guard("PlayerChanged", hud.checkTeams)
end

function widget:PlayerAdded(playerID)
  guard("PlayerAdded", hud.checkTeams)
end

function widget:PlayerRemoved(playerID)
  guard("PlayerRemoved", hud.checkTeams)
end

local function markDirty(unitID)
  if not dirty[unitID] then
    dirty[unitID] = true
    dirtyList[#dirtyList + 1] = unitID
  end
end

function widget:UnitDestroyed(unitID)
  guard("UnitDestroyed", noteCandidate, unitID, true)
end

function widget:UnitFinished(unitID)
  guard("UnitFinished", markDirty, unitID)
end

-- the unit's team is read from the engine again at its next refresh
local function teamChanged(unitID)
  local c = ucache[unitID]
  if c then c[6] = false end
end

function widget:UnitGiven(unitID)
  guard("UnitGiven", teamChanged, unitID)
  guard("UnitGiven", noteAdded, unitID)
  guard("UnitGiven", markDirty, unitID)
  guard("UnitGiven", noteCandidate, unitID, false)
end

function widget:UnitTaken(unitID)
  guard("UnitTaken", teamChanged, unitID)
  guard("UnitTaken", markDirty, unitID)
  guard("UnitTaken", noteCandidate, unitID, false)
end

function widget:UnitLeftLos(unitID)
  guard("UnitLeftLos", noteCandidate, unitID, false) -- may still be on radar: checked
  guard("UnitLeftLos", markDirty, unitID)           -- refresh without health
end

function widget:UnitCreated(unitID, unitDefID, unitTeam, builderID)
  guard("UnitCreated", noteAdded, unitID)
  if builderID ~= nil then guard("UnitCreated", orders.created, unitID, unitDefID, unitTeam, builderID) end
end

function widget:UnitCommand(...)
  guard("UnitCommand", orders.command, ...)
end

function widget:UnitEnteredLos(unitID)
  guard("UnitEnteredLos", noteAdded, unitID)
  guard("UnitEnteredLos", markDirty, unitID)        -- refresh with health and type
end

function widget:UnitEnteredRadar(unitID)
  guard("UnitEnteredRadar", noteAdded, unitID)
end

function widget:UnitLeftRadar(unitID)
  guard("UnitLeftRadar", noteCandidate, unitID, false)
end

function widget:DrawScreen()
  if not config.showStatus or not glText then return end
  guard("DrawScreen", function()
    local vsx, vsy = 1920, 1080
    if SP.GetViewGeometry then vsx, vsy = SP.GetViewGeometry() end
    local s = "livedata: " .. statusText()
    if glColor then glColor(1, 1, 1, 0.8) end
    glText(s, vsx - 8, 8, 12, "ro")
  end)
end
