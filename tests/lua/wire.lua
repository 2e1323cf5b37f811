--------------------------------------------------------------------------------
-- wire.lua: test-side helpers: a LuaSocket line server, a protocol v1 validator
-- (field by field from SCHEMA.md) and a reader model that applies snapshots.
--------------------------------------------------------------------------------
-- This file's folder: the shared test code beside it is loaded from there.
local DIR = debug.getinfo(1, "S").source:sub(2):match("^(.*)/[^/]*$") or "."
local RT = dofile(DIR .. "/runtime.lua")
local socket = RT.socket
local json = RT.require("dkjson")

local M = {}
M.json = json
M.null = json.null

function M.decode(line)
  local obj, pos, err = json.decode(line, 1, json.null)
  if err then return nil, err end
  return obj
end

--------------------------------------------------------------------------------
-- line server: accepts connections, reads whole lines without blocking
--------------------------------------------------------------------------------
local Server = {}
Server.__index = Server

function M.server(port)
  local srv = assert(socket.bind("127.0.0.1", port or 0))
  srv:settimeout(0)
  local _, p = srv:getsockname()
  return setmetatable({ srv = srv, port = tonumber(p), conns = {}, reading = true }, Server)
end

-- accept new connections; read what is available (unless reading is off)
function Server:poll()
  while true do
    local c = self.srv and self.srv:accept()
    if not c then break end
    c:settimeout(0)
    -- bytes received, as whole MiB + the rest (exact in 32-bit floats too); bytes: the same as one approximate number
    self.conns[#self.conns + 1] = { sock = c, buf = "", lines = {}, closed = false, bytes = 0, mib = 0, rest = 0 }
  end
  if not self.reading then return end
  for _, c in ipairs(self.conns) do
    if not c.closed then
      local chunks = { c.buf }
      local data, err, partial = c.sock:receive(65536)
      data = data or partial
      while data and #data > 0 do
        c.rest = c.rest + #data
        if c.rest >= 1048576 then c.mib, c.rest = c.mib + 1, c.rest - 1048576 end
        c.bytes = c.mib * 1048576 + c.rest
        chunks[#chunks + 1] = data
        data, err, partial = c.sock:receive(65536)
        data = data or partial
      end
      if err == "closed" then c.closed = true end
      local buf = table.concat(chunks)
      local pos = 1
      while true do
        local i = buf:find("\n", pos, true)
        if not i then break end
        if self.onLine then
          self.onLine(buf:sub(pos, i - 1), c)
        else
          c.lines[#c.lines + 1] = buf:sub(pos, i - 1)
        end
        pos = i + 1
      end
      c.buf = buf:sub(pos)
    end
  end
end

function Server:last() return self.conns[#self.conns] end

function Server:closeConns()
  for _, c in ipairs(self.conns) do if not c.closed then c.sock:close(); c.closed = true end end
end

function Server:close()
  self:closeConns()
  if self.srv then self.srv:close(); self.srv = nil end
end

--------------------------------------------------------------------------------
-- validator: returns nil or an error string
--------------------------------------------------------------------------------
local function isInt(v) return type(v) == "number" and v == math.floor(v) and v >= 0 end
local function isNum(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

local function checkKeys(obj, allowed, required, where)
  if type(obj) ~= "table" then return where .. ": not an object" end
  for k in pairs(obj) do
    if not allowed[k] then return where .. ": unknown field " .. tostring(k) end
  end
  for _, k in ipairs(required) do
    if obj[k] == nil then return where .. ": missing " .. k end
  end
end

local function set(list) local s = {} for _, k in ipairs(list) do s[k] = true end return s end

local VIEW = { "player_id", "team_id", "ally_team_id", "spectating", "full_view" }
local function checkView(v, where)
  local e = checkKeys(v, set(VIEW), VIEW, where)
  if e then return e end
  for _, k in ipairs({ "player_id", "team_id", "ally_team_id" }) do
    if not isInt(v[k]) then return where .. "." .. k .. " not an id" end
  end
  if type(v.spectating) ~= "boolean" or type(v.full_view) ~= "boolean" then return where .. ": bools" end
end

local CATS = set({ "commander", "builder", "factory", "army_land", "army_air", "army_sea", "defense", "economy", "utility" })
local DETAIL = set({ "minimal", "standard", "comprehensive" })

-- the minor version of the line being validated: 1.1 fields in a line that says 1.0 are an error
local minor = 0
local function inRange(v, lo, hi) return type(v) == "number" and v == math.floor(v) and v >= lo and v <= hi end
local function isNum01(v) return isNum(v) and v >= 0 and v <= 1 end

local function checkResource(r, where)
  local e = checkKeys(r, set({ "current", "income", "expense", "storage", "produced", "excess", "used", "reclaim",
    where == "metal" and "converted" or "current" }), { "current", "income" }, where)
  if e then return e end
  for k, v in pairs(r) do if not isNum(v) then return where .. "." .. k .. " not a number" end end
  for _, k in ipairs({ "used", "reclaim", "converted" }) do
    if r[k] ~= nil then
      if minor < 1 then return where .. "." .. k .. " in a 1.0 line" end
      if r[k] < 0 then return where .. "." .. k .. " negative" end
    end
  end
end

-- 1.1 (SCHEMA.md "player card", "AI card", "production")
local STATUS = set({ "playing", "resigned", "disconnected" })
local function utf8len(s) return #(s:gsub("[\128-\191]", "")) end

local function checkCard(c, where)
  local e = checkKeys(c, set({ "player_id", "name", "country", "rank", "skill", "skill_uncertainty", "skill_estimated",
    "status" }), { "player_id", "name" }, where)
  if e then return e end
  if not inRange(c.player_id, 0, 250) then return where .. ".player_id" end
  if type(c.name) ~= "string" or utf8len(c.name) > 64 then return where .. ".name" end
  if c.country ~= nil and not (type(c.country) == "string" and c.country:match("^%u%u$")) then return where .. ".country" end
  if c.rank ~= nil and not isInt(c.rank) then return where .. ".rank" end
  if c.skill ~= nil and not isNum(c.skill) then return where .. ".skill" end
  if c.skill_uncertainty ~= nil and not (isNum(c.skill_uncertainty) and c.skill_uncertainty >= 0) then
    return where .. ".skill_uncertainty"
  end
  if c.skill_estimated ~= nil and type(c.skill_estimated) ~= "boolean" then return where .. ".skill_estimated" end
  if c.status ~= nil and not STATUS[c.status] then return where .. ".status" end
end

local function checkTeamInfo(tm, where)
  local e = checkKeys(tm, set({ "team_id", "ally_team_id", "name", "color", "is_ai", "is_dead", "faction", "players", "ai" }),
    { "team_id", "ally_team_id", "name", "color", "is_ai" }, where)
  if e then return e end
  if type(tm.name) ~= "string" or type(tm.is_ai) ~= "boolean" or #tm.color ~= 3 then return where .. ": team fields" end
  for _, c in ipairs(tm.color) do if not (isInt(c) and c <= 255) then return where .. ": team color" end end
  if (tm.faction ~= nil or tm.players ~= nil or tm.ai ~= nil) and minor < 1 then return where .. ": 1.1 field in a 1.0 line" end
  if tm.faction ~= nil and not (type(tm.faction) == "string" and utf8len(tm.faction) <= 32 and tm.faction == tm.faction:lower()) then
    return where .. ".faction"
  end
  if tm.players ~= nil then
    if type(tm.players) ~= "table" or #tm.players > 16 then return where .. ".players" end
    for i, c in ipairs(tm.players) do e = checkCard(c, where .. ".players[" .. i .. "]"); if e then return e end end
  end
  if tm.ai ~= nil then
    e = checkKeys(tm.ai, set({ "name", "short_name", "version" }), { "name" }, where .. ".ai")
    if e then return e end
    if type(tm.ai.name) ~= "string" or utf8len(tm.ai.name) > 64 then return where .. ".ai.name" end
  end
end

local function checkProduction(p, where)
  local e = checkKeys(p, set({ "factories", "constructing", "idle_builders" }), {}, where)
  if e then return e end
  if p.idle_builders ~= nil and not isInt(p.idle_builders) then return where .. ".idle_builders" end
  if p.factories ~= nil then
    if type(p.factories) ~= "table" or #p.factories > 64 then return where .. ".factories" end
    for i, f in ipairs(p.factories) do
      local w = where .. ".factories[" .. i .. "]"
      e = checkKeys(f, set({ "id", "def_id", "building", "progress", "queued" }), { "id", "def_id" }, w)
      if e then return e end
      if not inRange(f.id, 0, 31999) or not inRange(f.def_id, 0, 16383) then return w .. ": ids" end
      if f.building ~= nil and not inRange(f.building, 0, 16383) then return w .. ".building" end
      if f.progress ~= nil and not isNum01(f.progress) then return w .. ".progress" end
      if f.queued ~= nil and not isInt(f.queued) then return w .. ".queued" end
    end
  end
  if p.constructing ~= nil then
    if type(p.constructing) ~= "table" or #p.constructing > 64 then return where .. ".constructing" end
    for i, c in ipairs(p.constructing) do
      local w = where .. ".constructing[" .. i .. "]"
      e = checkKeys(c, set({ "id", "def_id", "progress", "builders" }), { "id", "def_id", "progress" }, w)
      if e then return e end
      if not inRange(c.id, 0, 31999) or not inRange(c.def_id, 0, 16383) then return w .. ": ids" end
      if not isNum01(c.progress) then return w .. ".progress" end
      if c.builders ~= nil and not (isInt(c.builders) and c.builders >= 1) then return w .. ".builders" end
    end
  end
end

local function checkXYZ(p, where)
  local e = checkKeys(p, set({ "x", "y", "z" }), { "x", "y", "z" }, where)
  if e then return e end
  for k, v in pairs(p) do if not isNum(v) then return where .. "." .. k end end
end

local function checkUnit(u, where, detail)
  local e = checkKeys(u, set({ "id", "def_id", "team", "pos", "health", "build_progress", "vel", "experience" }),
    { "id", "def_id", "team", "pos" }, where)
  if e then return e end
  if not isInt(u.id) or not isInt(u.team) then return where .. ": id/team" end
  if u.def_id ~= M.null and not isInt(u.def_id) then return where .. ": def_id" end
  e = checkXYZ(u.pos, where .. ".pos"); if e then return e end
  for _, k in ipairs({ "x", "y", "z" }) do
    if u.pos[k] ~= math.floor(u.pos[k]) then return where .. ".pos not integer elmos" end
  end
  if u.health ~= nil then
    e = checkKeys(u.health, set({ "current", "max" }), { "current", "max" }, where .. ".health")
    if e then return e end
    if not isNum(u.health.current) or not isNum(u.health.max) then return where .. ".health nums" end
  end
  if u.build_progress ~= nil and not (isNum(u.build_progress) and u.build_progress >= 0 and u.build_progress <= 1) then
    return where .. ".build_progress"
  end
  if detail ~= "comprehensive" and (u.vel ~= nil or u.experience ~= nil) then return where .. ": vel/experience below comprehensive" end
  if detail == "standard" and u.build_progress == 1 then return where .. ": build_progress 1 at standard" end
  if u.vel ~= nil then e = checkXYZ(u.vel, where .. ".vel"); if e then return e end end
  if u.experience ~= nil and not isNum(u.experience) then return where .. ".experience" end
end

local function checkIds(a, where)
  if type(a) ~= "table" then return where .. " not an array" end
  for _, v in ipairs(a) do if not isInt(v) then return where .. " element" end end
end

-- 1.2 decision points (SCHEMA.md, `orders`)
local function inRange(v, lo, hi) return type(v) == "number" and v == math.floor(v) and v >= lo and v <= hi end

local function checkOrder(o, where)
  if type(o) ~= "table" or type(o.kind) ~= "string" then return where .. ": kind" end
  if not inRange(o.team_id, 0, 254) then return where .. ".team_id" end
  local e
  if o.kind == "command" then
    e = checkKeys(o, set({ "kind", "team_id", "unit_ids", "cmd_id", "cmd_name", "params", "options", "player_id" }),
      { "unit_ids", "cmd_id" }, where)
    if e then return e end
    if type(o.unit_ids) ~= "table" or #o.unit_ids < 1 then return where .. ".unit_ids empty" end
    for _, id in ipairs(o.unit_ids) do if not inRange(id, 0, 31999) then return where .. ".unit_ids element" end end
    if not inRange(o.cmd_id, -2147483648, 2147483647) then return where .. ".cmd_id" end
    if o.cmd_name ~= nil and (type(o.cmd_name) ~= "string" or #o.cmd_name > 64 or o.cmd_name == "") then
      return where .. ".cmd_name"
    end
    if o.params ~= nil then
      if type(o.params) ~= "table" or #o.params > 64 then return where .. ".params" end
      for _, v in ipairs(o.params) do if not (isNum(v) and math.abs(v) <= 1e12) then return where .. ".params element" end end
    end
    if o.options ~= nil and not inRange(o.options, 0, 255) then return where .. ".options" end
  elseif o.kind == "build_started" then
    e = checkKeys(o, set({ "kind", "team_id", "unit_id", "def_id", "builder_id" }), { "unit_id", "def_id" }, where)
    if e then return e end
    if not inRange(o.unit_id, 0, 31999) or not inRange(o.def_id, 0, 16383) then return where .. ": unit_id/def_id" end
    if o.builder_id ~= nil and not inRange(o.builder_id, 0, 31999) then return where .. ".builder_id" end
  elseif o.kind == "factory_queue" then
    e = checkKeys(o, set({ "kind", "team_id", "unit_id", "def_id", "build_def_id", "count", "player_id" }),
      { "unit_id", "build_def_id", "count" }, where)
    if e then return e end
    if not inRange(o.unit_id, 0, 31999) or not inRange(o.build_def_id, 0, 16383) then return where .. ": ids" end
    if o.def_id ~= nil and not inRange(o.def_id, 0, 16383) then return where .. ".def_id" end
    if not inRange(o.count, -100000, 100000) or o.count == 0 then return where .. ".count" end
  else
    return where .. ": unknown kind " .. o.kind
  end
  if o.player_id ~= nil and not inRange(o.player_id, 0, 250) then return where .. ".player_id" end
end

function M.validate(m)
  if type(m) ~= "table" then return "not an object" end
  local t = m.type
  if t == nil and m.game_frame ~= nil then t = "snapshot" end
  minor = ({ ["1.0"] = 0, ["1.1"] = 1, ["1.2"] = 2, ["1.3"] = 3, ["1.4"] = 4 })[m.schema_version]
  if not minor then return "schema_version " .. tostring(m.schema_version) end
  -- a line with a 1.2 addition says so
  local v12 = t == "event" and (m.event == "orders" or m.dropped_orders ~= nil)
  if v12 and minor < 2 then return "schema_version " .. tostring(m.schema_version) .. " with 1.2 fields" end
  if t == "hello" then
    local e = checkKeys(m, set({ "type", "schema_version", "widget", "engine_version", "game", "map", "is_replay", "game_frame",
      "rate_hz", "detail", "view", "teams", "unit_defs", "token", "anonymous" }),
      { "widget", "engine_version", "game", "map", "is_replay", "game_frame", "rate_hz", "detail", "view", "teams", "unit_defs" }, "hello")
    if e then return e end
    -- 1.3: the two-PC shared secret, at most 256 bytes
    if m.token ~= nil and not (type(m.token) == "string" and #m.token <= 256) then return "hello.token" end
    -- 1.4: BAR's anonymous mode, at most 32 bytes, in a 1.4 line
    if m.anonymous ~= nil and not (type(m.anonymous) == "string" and #m.anonymous >= 1 and #m.anonymous <= 32
      and minor >= 4) then return "hello.anonymous" end
    e = checkKeys(m.widget, set({ "name", "version" }), { "name", "version" }, "hello.widget"); if e then return e end
    e = checkKeys(m.game, set({ "name", "version" }), { "name", "version" }, "hello.game"); if e then return e end
    if type(m.map) ~= "string" or type(m.engine_version) ~= "string" then return "hello strings" end
    if type(m.is_replay) ~= "boolean" or not isInt(m.game_frame) then return "hello is_replay/game_frame" end
    if not (isNum(m.rate_hz) and m.rate_hz >= 1 and m.rate_hz <= 30) then return "hello.rate_hz" end
    if not DETAIL[m.detail] then return "hello.detail" end
    e = checkView(m.view, "hello.view"); if e then return e end
    for i, tm in ipairs(m.teams) do
      e = checkTeamInfo(tm, "hello.teams[" .. i .. "]"); if e then return e end
    end
    for i, d in ipairs(m.unit_defs) do
      e = checkKeys(d, set({ "def_id", "name", "human_name", "metal_cost", "energy_cost", "build_speed", "tech_level", "category" }),
        { "def_id", "name", "human_name", "metal_cost", "energy_cost", "tech_level", "category" }, "hello.unit_defs[" .. i .. "]")
      if e then return e end
      if not CATS[d.category] then return "unit def category " .. tostring(d.category) end
      if not (isInt(d.tech_level) and d.tech_level >= 1 and d.tech_level <= 3) then return "tech_level" end
    end
  elseif t == "snapshot" then
    local e = checkKeys(m, set({ "type", "schema_version", "seq", "game_frame", "game_seconds", "is_paused", "detail", "teams",
      "units_full", "units", "destroyed", "hidden" }), { "game_frame", "game_seconds", "is_paused", "teams" }, "snapshot")
    if e then return e end
    if m.seq ~= nil and not isInt(m.seq) then return "seq" end
    if not isInt(m.game_frame) or not isNum(m.game_seconds) or type(m.is_paused) ~= "boolean" then return "snapshot time" end
    if m.detail ~= nil and not DETAIL[m.detail] then return "snapshot.detail" end
    for i, tm in ipairs(m.teams) do
      local w = "snapshot.teams[" .. i .. "]"
      e = checkKeys(tm, set({ "team_id", "metal", "energy", "damage_dealt", "damage_received", "is_dead", "units_killed",
        "units_died", "utility_value", "economy_value", "production" }), { "team_id" }, w)
      if e then return e end
      for _, k in ipairs({ "units_killed", "units_died", "utility_value", "economy_value", "production" }) do
        if tm[k] ~= nil and minor < 1 then return w .. "." .. k .. " in a 1.0 line" end
      end
      if tm.units_killed ~= nil and not isInt(tm.units_killed) then return w .. ".units_killed" end
      if tm.units_died ~= nil and not isInt(tm.units_died) then return w .. ".units_died" end
      for _, k in ipairs({ "utility_value", "economy_value", "damage_dealt", "damage_received" }) do
        if tm[k] ~= nil and not (isNum(tm[k]) and tm[k] >= 0) then return w .. "." .. k end
      end
      if tm.production ~= nil then e = checkProduction(tm.production, w .. ".production"); if e then return e end end
      if tm.metal then e = checkResource(tm.metal, "metal"); if e then return e end end
      if tm.energy then e = checkResource(tm.energy, "energy"); if e then return e end end
    end
    if m.detail == "minimal" and m.units ~= nil then return "units at minimal detail" end
    if m.units ~= nil then
      for i, u in ipairs(m.units) do
        e = checkUnit(u, "units[" .. i .. "]", m.detail); if e then return e end
      end
    end
    if m.destroyed ~= nil then e = checkIds(m.destroyed, "destroyed"); if e then return e end end
    if m.hidden ~= nil then e = checkIds(m.hidden, "hidden"); if e then return e end end
  elseif t == "event" then
    if type(m.event) ~= "string" or not isInt(m.game_frame) then return "event fields" end
    local ev = m.event
    local extra = ({
      game_start = {}, game_over = { "winners" }, paused = { "player_id" }, unpaused = { "player_id" },
      team_died = { "team_id" }, view_changed = { "view" }, team_changed = { "team" },
      status = { "dropped_snapshots", "queue_bytes", "rate_hz", "unit_rate_hz", "detail", "throttled", "frame_cost_ms", "message",
                 "dropped_orders" },
      orders = { "orders" },
    })[ev]
    if not extra then return "unknown event " .. ev end
    local allowed = set({ "type", "schema_version", "event", "game_frame" })
    for _, k in ipairs(extra) do allowed[k] = true end
    local e = checkKeys(m, allowed, {}, "event " .. ev); if e then return e end
    if ev == "team_died" and not isInt(m.team_id) then return "team_died.team_id" end
    if ev == "view_changed" then e = checkView(m.view, "view_changed.view"); if e then return e end end
    if ev == "team_changed" then
      if minor < 1 then return "team_changed in a 1.0 line" end
      e = checkTeamInfo(m.team, "team_changed.team"); if e then return e end
    end
    if ev == "game_over" and m.winners ~= nil then e = checkIds(m.winners, "winners"); if e then return e end end
    if ev == "status" and m.throttled ~= nil and type(m.throttled) ~= "boolean" then return "status.throttled" end
    if ev == "status" and m.dropped_orders ~= nil and not isInt(m.dropped_orders) then return "status.dropped_orders" end
    if ev == "orders" then
      if type(m.orders) ~= "table" or #m.orders < 1 or #m.orders > 4096 then return "orders.orders" end
      for i, o in ipairs(m.orders) do
        e = checkOrder(o, "orders[" .. i .. "]"); if e then return e end
      end
    end
  elseif t == "bye" then
    local e = checkKeys(m, set({ "type", "schema_version", "game_frame", "reason" }), { "game_frame", "reason" }, "bye")
    if e then return e end
  else
    return "unknown type " .. tostring(t)
  end
end

--------------------------------------------------------------------------------
-- reader model: applies the messages of one connection in order
--------------------------------------------------------------------------------
local Reader = {}
Reader.__index = Reader

function M.reader()
  return setmetatable({ units = {}, teams = {}, msgs = {}, errors = {}, events = {}, snapshots = 0,
                        hello = nil, lastSeq = nil, gaps = 0 }, Reader)
end

function Reader:apply(line)
  local m, err = M.decode(line)
  if not m then self.errors[#self.errors + 1] = "decode: " .. tostring(err) .. ": " .. line:sub(1, 200); return end
  local verr = M.validate(m)
  if verr then self.errors[#self.errors + 1] = "validate: " .. verr .. ": " .. line:sub(1, 200) end
  self.msgs[#self.msgs + 1] = m
  m._line = line
  if m.type == "hello" then
    self.hello = m
    self.units = {}
    self.lastSeq = nil
  elseif m.type == "snapshot" or (m.type == nil and m.game_frame) then
    self.snapshots = self.snapshots + 1
    if self.lastSeq and m.seq and m.seq ~= self.lastSeq + 1 then
      self.gaps = self.gaps + 1
      if m.units_full == false then self.errors[#self.errors + 1] = "delta after a seq gap at seq " .. m.seq end
    end
    self.lastSeq = m.seq
    self.frame = m.game_frame
    self.paused = m.is_paused
    self.teams = {}
    for _, t in ipairs(m.teams) do self.teams[t.team_id] = t end
    if m.units then
      if m.units_full ~= false then self.units = {} end
      for _, u in ipairs(m.units) do self.units[u.id] = u end
    end
    for _, id in ipairs(m.destroyed or {}) do self.units[id] = nil end
    for _, id in ipairs(m.hidden or {}) do self.units[id] = nil end
    self.last = m
  elseif m.type == "event" then
    self.events[#self.events + 1] = m
  elseif m.type == "bye" then
    self.bye = m
  end
end

function Reader:unitCount()
  local n = 0
  for _ in pairs(self.units) do n = n + 1 end
  return n
end

return M
