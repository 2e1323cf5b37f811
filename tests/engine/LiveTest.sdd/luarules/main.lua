--------------------------------------------------------------------------------
-- LiveTest synced LuaRules (no gadget handler: the engine calls these globals).
--  * gives every unit a tiny Lua unit script (aim = always ready, builders in build stance)
--  * plays a fixed scenario for the two teams (the orders are deterministic; combat results are not):
--      frame  1: per team 3 tanks, a gunship, a radar tower, a finished solar and a solar nanoframe; the commander
--                finishes the nanoframe, then builds a factory (which then builds tanks and gunships)
--      frame 150, then every 8 s: a wave (3 tanks, every other wave a gunship) fights its way to the
--                enemy base; the waves meet in the middle and die
--      frame 300: a tank of the first team is given to the second team
--      frame 450: the second team's finished solar is given to the first team
--      frame 600: the first team's finished solar is destroyed (a death without combat)
--      mod option lt_extra (default 0): that many more idle tanks per team behind each base (cost runs)
--      mod option lt_structures (default 0): that many finished structures per team beside each base, three solars
--                to a radar tower, on the side away from the fight (cost runs: most units of a late game never move)
--      mod option lt_gameseconds (default 60): the second team is killed, then GameOver
--  * writes GROUND TRUTH to the engine's log (infolog.txt), one fact per line, prefix "[LiveTruth] ".
--    Synced Lua has no io library in this engine, so the log is the only channel. Lines:
--      created F id def team          UnitCreated
--      built F id def team builder    UnitCreated with a builder (a unit started by a builder or factory)
--      death F id def team            UnitDestroyed (the unit may linger in GetAllUnits 1-2 frames more)
--      given F id from to             UnitGiven
--      team F team metal,mstorage,mincome,mexpense,energy,estorage,eincome,eexpense dead
--      units F count lingering        every TRUTH_EVERY frames: `count` living units follow, in `u` lines
--      u F id:def:team:built:x:z:los id:def:team:built:x:z:los ...   (at most 100 units a line)
--                                     built is 1 when finished; los is Spring.GetUnitLosState(id, 0, true)
--                                     % 16 for ally team 0 (1 in LOS, 2 in radar, 4 was in LOS, 8 radar since)
--      gameover F winnerAllyTeam
--    A dump is taken at the end of this GameFrame(F), which runs before LuaUI's GameFrame(F): a widget's
--    snapshot for frame F sees the same units and resources.
--------------------------------------------------------------------------------

local TAG = "[LiveTest] "
local TRUTH = "[LiveTruth] "
local modOpts = Spring.GetModOptions() or {}
local GAME_SECONDS = tonumber(modOpts.lt_gameseconds) or 60
local EXTRA = tonumber(modOpts.lt_extra) or 0
local STRUCTURES = tonumber(modOpts.lt_structures) or 0
local TRUTH_EVERY = tonumber(modOpts.lt_truthevery) or 10
local END_FRAME = math.max(300, math.floor(GAME_SECONDS * 30))
local WAVE_EVERY = 240

local CMD_FIGHT, CMD_REPAIR, CMD_REPEAT = CMD.FIGHT, CMD.REPAIR, CMD.REPEAT

local COBV = COB or {}
local INBUILDSTANCE = COBV.INBUILDSTANCE or 5
local YARD_OPEN     = COBV.YARD_OPEN or 18
local BUGGER_OFF    = COBV.BUGGER_OFF or 19

local echo = Spring.Echo
local defID = {}
for id, ud in pairs(UnitDefs) do defID[ud.name] = id end

local teams = {}            -- playing teams (sorted), with start positions
local base = {}             -- teamID -> {x, z}
local enemyOf = {}          -- teamID -> enemy teamID
local army = {}             -- teamID -> list of unitIDs spawned for the first fight
local solar = {}            -- teamID -> the finished solar spawned at frame 1
local waves = 0
local ended = false

--------------------------------------------------------------------------------
-- Lua unit scripts
--------------------------------------------------------------------------------

local function firstPiece(unitID)
	local map = Spring.GetUnitPieceMap(unitID) or {}
	if map.body then return map.body end
	local best
	for _, idx in pairs(map) do
		if not best or idx < best then best = idx end
	end
	return best or 1
end

local function giveScript(unitID, unitDefID)
	local ud = UnitDefs[unitDefID]
	local p = firstPiece(unitID)
	local isBuilder = ud.isBuilder
	local isFactory = ud.isFactory
	local function stance()
		if isBuilder then Spring.UnitScript.SetUnitValue(INBUILDSTANCE, 1) end
		if isFactory then
			Spring.UnitScript.SetUnitValue(YARD_OPEN, 1)
			Spring.UnitScript.SetUnitValue(BUGGER_OFF, 1)
		end
	end
	local callins = {
		Create = stance,
		Activate = stance,
		StartBuilding = function() stance() end,
		StopBuilding = function() end,
		QueryNanoPiece = function() return p end,
		QueryBuildInfo = function() return p end,
		QueryWeapon = function(w) return p end,
		AimFromWeapon = function(w) return p end,
		AimWeapon = function(w, heading, pitch)
			Spring.SetUnitWeaponState(unitID, w, "aimReady", 1)
			return true
		end,
		FireWeapon = function(w) end,
		Killed = function(recentDamage, maxHealth) return 1 end,
	}
	Spring.UnitScript.CreateScript(unitID, callins)
	Spring.UnitScript.CallAsUnit(unitID, stance)
end

--------------------------------------------------------------------------------
-- ground truth
--------------------------------------------------------------------------------

local function n0(v) return v and tostring(v) or "-1" end

local function truthTeams(n)
	for _, t in ipairs(teams) do
		local m, ms, _, mi, me = Spring.GetTeamResources(t, "metal")
		local e, es, _, ei, ee = Spring.GetTeamResources(t, "energy")
		local _, _, dead = Spring.GetTeamInfo(t)
		echo(TRUTH .. "team " .. n .. " " .. t .. " " .. n0(m) .. "," .. n0(ms) .. "," .. n0(mi) .. "," .. n0(me) .. ","
			.. n0(e) .. "," .. n0(es) .. "," .. n0(ei) .. "," .. n0(ee) .. " " .. (dead and 1 or 0))
	end
end

local function truthUnits(n)
	local all = Spring.GetAllUnits()
	local parts, count, lingering = {}, 0, 0
	local lines = {}
	for i = 1, #all do
		local u = all[i]
		if Spring.GetUnitIsDead(u) then
			lingering = lingering + 1
		else
			local x, _, z = Spring.GetUnitPosition(u)
			local _, _, _, _, bp = Spring.GetUnitHealth(u)
			local los = (Spring.GetUnitLosState(u, 0, true) or 0) % 16
			count = count + 1
			parts[#parts + 1] = u .. ":" .. (Spring.GetUnitDefID(u) or -1) .. ":" .. (Spring.GetUnitTeam(u) or -1) .. ":"
				.. ((bp or 1) >= 1 and 1 or 0) .. ":" .. math.floor(x or 0) .. ":" .. math.floor(z or 0) .. ":" .. los
			if #parts == 100 then
				lines[#lines + 1] = table.concat(parts, " ")
				parts = {}
			end
		end
	end
	if #parts > 0 then lines[#lines + 1] = table.concat(parts, " ") end
	echo(TRUTH .. "units " .. n .. " " .. count .. " " .. lingering)
	for i = 1, #lines do echo(TRUTH .. "u " .. n .. " " .. lines[i]) end
end

--------------------------------------------------------------------------------
-- helpers
--------------------------------------------------------------------------------

local function spawn(name, team, x, z, build)
	local y = Spring.GetGroundHeight(x, z)
	local u = Spring.CreateUnit(name, x, y, z, 0, team, build and true or false)
	if not u then echo(TAG .. "CreateUnit failed: " .. name) end
	return u
end

local function fightTo(unitID, team)
	local e = base[enemyOf[team]]
	if unitID and e and Spring.ValidUnitID(unitID) and not Spring.GetUnitIsDead(unitID) then
		Spring.GiveOrderToUnit(unitID, CMD_FIGHT, { e.x, Spring.GetGroundHeight(e.x, e.z), e.z }, {})
	end
end

local function commanderOf(team)
	for _, u in ipairs(Spring.GetTeamUnits(team) or {}) do
		if Spring.GetUnitDefID(u) == defID.ltcom then return u end
	end
end

local function toward(team, d)       -- a point d elmos from the base toward the map centre (x only)
	local b = base[team]
	local dir = (b.x < Game.mapSizeX / 2) and 1 or -1
	return b.x + dir * d, b.z
end

local function alive(u)
	return u and Spring.ValidUnitID(u) and not Spring.GetUnitIsDead(u)
end

--------------------------------------------------------------------------------
-- scenario
--------------------------------------------------------------------------------

-- Spring 106 does not spawn start units itself (springcontent's game_spawn.lua gadget would):
-- spawn each team's side start unit (gamedata/sidedata.lua) at its start position.
local function spawnStartUnits()
	local gaia = Spring.GetGaiaTeamID()
	for _, t in ipairs(Spring.GetTeamList()) do
		if t ~= gaia and not commanderOf(t) then
			local side = select(5, Spring.GetTeamInfo(t))
			local startUnit = side and side ~= "" and Spring.GetSideData(side) or nil
			if type(startUnit) ~= "string" or not defID[startUnit] then startUnit = "ltcom" end
			local x, y, z = Spring.GetTeamStartPosition(t)
			local u = Spring.CreateUnit(startUnit, x, Spring.GetGroundHeight(x, z), z, 0, t)
			echo(TAG .. "start unit " .. startUnit .. " (side " .. tostring(side) .. ") for team " .. t .. ": " .. tostring(u))
		end
	end
end

function GameStart()
	spawnStartUnits()
end

-- extra tanks in a block behind the base, out of the fight (for cost measurements at high unit counts); they pace
-- 150 elmos up and down the map every 5 s (moveExtras), so the widget sends their positions as it would in a game
local extras = {}   -- { unitID, x, z } of every extra tank

local function spawnExtra(t)
	local b = base[t]
	local dir = (b.x < Game.mapSizeX / 2) and -1 or 1
	local cols = 40 -- 1000 tanks stand in 25 rows, inside the map (not stacked at its edge, where they would jostle)
	for k = 0, EXTRA - 1 do
		local x = b.x + dir * (300 + math.floor(k / cols) * 30)
		local z = b.z + (k % cols - cols / 2) * 30
		x = math.max(40, math.min(Game.mapSizeX - 40, x))
		local u = spawn("lttank", t, x, z)
		if u then extras[#extras + 1] = { u, x, z } end
	end
end

-- structures in a grid 40 elmos apart beside the base, away from the line the waves fight on (z = the bases' z)
local function spawnStructures(t)
	local b = base[t]
	local up = b.x < Game.mapSizeX / 2 -- the first team's go toward z = 0, the other's toward the map's far edge
	local cols, made = 40, 0
	for k = 0, STRUCTURES - 1 do
		local x = b.x - 800 + (k % cols) * 40
		local row = math.floor(k / cols)
		local z = up and (b.z - 668 - row * 40) or (b.z + 668 + row * 40)
		if z < 40 or z > Game.mapSizeZ - 40 then break end
		if spawn(k % 4 == 3 and "ltradar" or "ltsolar", t, math.max(40, math.min(Game.mapSizeX - 40, x)), z) then
			made = made + 1
		end
	end
	echo(TAG .. "team " .. t .. ": " .. made .. " structures")
end

local function moveExtras(n)
	local dz = (n / 150) % 2 == 0 and 150 or -150
	for i = 1, #extras do
		local e = extras[i]
		if Spring.ValidUnitID(e[1]) and not Spring.GetUnitIsDead(e[1]) then
			Spring.GiveOrderToUnit(e[1], CMD.MOVE, { e[2], Spring.GetGroundHeight(e[2], e[3] + dz), e[3] + dz }, {})
		end
	end
end

local function setup()
	local gaia = Spring.GetGaiaTeamID()
	spawnStartUnits()   -- no-op when GameStart did it
	for _, t in ipairs(Spring.GetTeamList()) do
		if t ~= gaia then
			local com = commanderOf(t)
			local x, _, z
			if com then x, _, z = Spring.GetUnitPosition(com) else x, _, z = Spring.GetTeamStartPosition(t) end
			teams[#teams + 1] = t
			base[t] = { x = x, z = z }
			army[t] = {}
		end
	end
	table.sort(teams)
	for i, t in ipairs(teams) do enemyOf[t] = teams[(i % #teams) + 1] end
	echo(TAG .. "setup: " .. #teams .. " teams, game ends at frame " .. END_FRAME .. ", " .. EXTRA .. " extra units per team")

	for _, t in ipairs(teams) do
		local b = base[t]
		-- Spring 106 starts teams with no resources (start resources are the game's job)
		Spring.SetTeamResource(t, "ms", 2000)
		Spring.SetTeamResource(t, "es", 4000)
		Spring.SetTeamResource(t, "m", 1000)
		Spring.SetTeamResource(t, "e", 2000)
		if t == teams[1] then
			-- numbers the engine's Lua gets wrong unless handled (32-bit floats, math.floor and %d cast to int32): an
			-- integer above 2^31 and a value with a fraction above 2^21
			Spring.SetTeamResource(t, "ms", 3000000000)
			Spring.SetTeamResource(t, "es", 9000000)
			Spring.SetTeamResource(t, "e", 2500004.25)
		end
		for k = 1, 3 do
			local x, z = toward(t, 120)
			army[t][#army[t] + 1] = spawn("lttank", t, x, z + (k - 2) * 60)
		end
		local px, pz = toward(t, -60)
		army[t][#army[t] + 1] = spawn("ltplane", t, px, pz)
		solar[t] = spawn("ltsolar", t, b.x, b.z - 200)
		spawn("ltradar", t, b.x - (base[t].x < Game.mapSizeX / 2 and 150 or -150), b.z - 320)
		local frame = spawn("ltsolar", t, b.x, b.z + 200, true)   -- nanoframe: under construction
		local com = commanderOf(t)
		if com and frame then
			Spring.GiveOrderToUnit(com, CMD_REPAIR, { frame }, {})
			local lx, lz = toward(t, -200)
			Spring.GiveOrderToUnit(com, -defID.ltlab, { lx, Spring.GetGroundHeight(lx, lz), lz, 0 }, { "shift" })
		end
		if EXTRA > 0 then spawnExtra(t) end
		if STRUCTURES > 0 then spawnStructures(t) end
	end
end

local function wave()
	waves = waves + 1
	for _, t in ipairs(teams) do
		for k = 1, 3 do
			local x, z = toward(t, 60)
			fightTo(spawn("lttank", t, x, z + (k - 2) * 50), t)
		end
		if waves % 2 == 0 then
			local x, z = toward(t, -40)
			fightTo(spawn("ltplane", t, x, z), t)
		end
	end
end

local function give(u, to, what)
	if alive(u) then
		local from = Spring.GetUnitTeam(u)
		Spring.TransferUnit(u, to, true)
		echo(TAG .. "frame " .. Spring.GetGameFrame() .. ": " .. what .. " " .. u .. " given from team " .. from .. " to team " .. to)
		return true
	end
end

function GameFrame(n)
	if ended then
		if n % TRUTH_EVERY == 0 then truthTeams(n); truthUnits(n) end
		return
	end
	if n == 1 then setup() end
	if n == 150 then
		for _, t in ipairs(teams) do
			for _, u in ipairs(army[t]) do fightTo(u, t) end
		end
		echo(TAG .. "frame 150: armies sent to fight")
	end
	if n >= 150 and (n - 150) % WAVE_EVERY == 0 and n < END_FRAME - 150 then wave() end
	if n == 300 and #teams >= 2 then
		for _, u in ipairs(army[teams[1]]) do
			if alive(u) and Spring.GetUnitDefID(u) == defID.lttank and Spring.GetUnitTeam(u) == teams[1] then
				if give(u, teams[2], "tank") then fightTo(u, teams[2]); break end
			end
		end
	end
	if n % 150 == 0 and #extras > 0 then moveExtras(n) end
	if n == 450 and #teams >= 2 then give(solar[teams[2]], teams[1], "solar") end
	if n == 600 and alive(solar[teams[1]]) then
		echo(TAG .. "frame 600: destroying solar " .. solar[teams[1]] .. " of team " .. teams[1])
		Spring.DestroyUnit(solar[teams[1]], false, true)
	end
	if n > 0 and n % 300 == 0 then
		local s = {}
		for _, t in ipairs(teams) do
			local m, ms, _, mi = Spring.GetTeamResources(t, "metal")
			local e, es, _, ei = Spring.GetTeamResources(t, "energy")
			s[#s + 1] = string.format("team%d units=%d metal=%.0f/%.0f (+%.1f) energy=%.0f/%.0f (+%.1f)", t,
				#(Spring.GetTeamUnits(t) or {}), m or -1, ms or -1, mi or -1, e or -1, es or -1, ei or -1)
		end
		echo(TAG .. "frame " .. n .. ": " .. table.concat(s, "; "))
	end
	if n >= END_FRAME and #teams >= 2 then
		ended = true
		local loser = teams[#teams]
		local _, _, _, _, _, winnerAlly = Spring.GetTeamInfo(teams[1])
		echo(TAG .. "frame " .. n .. ": killing team " .. loser .. ", game over (winner allyteam " .. tostring(winnerAlly) .. ")")
		Spring.KillTeam(loser)
		Spring.GameOver({ winnerAlly })
		echo(TRUTH .. "gameover " .. n .. " " .. tostring(winnerAlly))
	end
	if n % TRUTH_EVERY == 0 then truthTeams(n); truthUnits(n) end
end

function UnitCreated(unitID, unitDefID, teamID, builderID)
	giveScript(unitID, unitDefID)
	echo(TRUTH .. "created " .. Spring.GetGameFrame() .. " " .. unitID .. " " .. unitDefID .. " " .. teamID)
	if builderID then
		echo(TRUTH .. "built " .. Spring.GetGameFrame() .. " " .. unitID .. " " .. unitDefID .. " " .. teamID .. " " .. builderID)
	end
end

function UnitDestroyed(unitID, unitDefID, teamID)
	echo(TRUTH .. "death " .. Spring.GetGameFrame() .. " " .. unitID .. " " .. unitDefID .. " " .. teamID)
end

function UnitGiven(unitID, unitDefID, newTeam, oldTeam)
	echo(TRUTH .. "given " .. Spring.GetGameFrame() .. " " .. unitID .. " " .. oldTeam .. " " .. newTeam)
end

function UnitFinished(unitID, unitDefID, teamID)
	if unitDefID == defID.ltlab then
		echo(TAG .. "factory " .. unitID .. " of team " .. teamID .. " finished")
		Spring.GiveOrderToUnit(unitID, CMD_REPEAT, { 1 }, {})
		Spring.GiveOrderToUnit(unitID, -defID.lttank, {}, {})
		Spring.GiveOrderToUnit(unitID, -defID.ltplane, {}, {})
		Spring.GiveOrderToUnit(unitID, -defID.lttank, {}, {})
	end
end

function UnitFromFactory(unitID, unitDefID, teamID, factID, factDefID, userOrders)
	fightTo(unitID, teamID)
end

-- units that exist before the scripts are in place (none normally)
for _, u in ipairs(Spring.GetAllUnits()) do giveScript(u, Spring.GetUnitDefID(u)) end
echo(TAG .. "LuaRules synced loaded; unit defs: " .. #UnitDefs .. "; game seconds " .. GAME_SECONDS)
