--------------------------------------------------------------------------------
-- LiveTest cost probe, part 2 of 2 (see livetest_probe_begin.lua). Per game frame it writes to the engine's log:
--   [LiveProbe] F cost_ms ema_ms units control_ms kb
-- cost_ms: CPU time of the widgets between the probes in this GameFrame plus the Update calls since the previous
-- GameFrame (what the widget's own throttle measures); ema_ms: the widget's own measurement (WG.livedata
-- status cost_ms, an average over about 20 frames) or -1; units: how many units the engine lists; control_ms: the
-- same clock around a fixed piece of Lua work (300 string.format calls that make no new strings, see CONTROL below)
-- in the same frame, which shows how much a busy machine (other processes, the engine's other threads) adds to any
-- measurement here; kb: what the Lua heap grew by in the same windows (what the widgets in between allocated), or
-- -1 when it shrank in one of them (the collector ran inside).
--------------------------------------------------------------------------------
function widget:GetInfo()
	return { name = "LiveTest probe end", desc = "cost probe (tests only)", layer = 1000000, enabled = true }
end

local clock = os.clock
local echo = Spring.Echo
local getAllUnits = Spring.GetAllUnits
local units = 0

local gcount = collectgarbage

-- The control formats the same 300 strings every frame and this table keeps them alive, so the formats only find
-- existing strings and make no new ones. (It used to format ("%d,%d", i, n): 300 new strings a frame, which by
-- itself kept Lua's string table doubling -- 256 KB to 4 MB at a time, tens to hundreds of ms -- inside the
-- control or inside whichever widget's call made the next new string. The probe must not add string garbage to
-- the state it measures.) 1000 has as many digits
-- as the frame numbers of a 30-60 s run, so the work per call stays about what it was.
local CONTROL_N = 1000
local CONTROL = {}
for i = 1, 300 do CONTROL[i] = string.format("%d,%d", i, CONTROL_N) end

local function windowKB(p)
	local d = gcount("count") - p.kb
	if d < 0 then p.gc = true else p.kbAcc = p.kbAcc + d end
end

function widget:Update()
	local p = WG.liveProbe
	if p then
		p.acc = p.acc + (clock() - p.t)
		windowKB(p)
	end
end

-- what the widget counts as sent, every 10 frames (nothing written in Shutdown reaches infolog in Spring 106):
--   [LiveProbe] sent F MIB REST CONNECTIONS   (MIB -1: a widget with one counter, REST is that counter)
local function echoSent(n, st)
	if type(st) ~= "table" then return end
	echo(string.format("[LiveProbe] sent %d %.0f %.0f %d", n, st.bytes_sent_mib or -1,
		st.bytes_sent_rest or st.bytes_sent or -1, st.connections or -1))
end

function widget:GameFrame(n)
	local p = WG.liveProbe
	if not p then return end
	local cost = p.acc + (clock() - p.t)
	windowKB(p)
	local kb = p.gc and -1 or p.kbAcc
	p.acc, p.kbAcc, p.gc = 0, 0, false
	if n % 30 == 0 then units = #getAllUnits() end
	local ema = -1
	local ld = WG.livedata
	if ld and ld.status then
		local ok, st = pcall(ld.status)
		if ok and type(st) == "table" and st.cost_ms then ema = st.cost_ms end
		if ok and n % 10 == 0 then echoSent(n, st) end
	end
	local c0 = clock()
	local x = 0
	for i = 1, 300 do x = x + #string.format("%d,%d", i, CONTROL_N) end
	local control = clock() - c0
	echo(string.format("[LiveProbe] %d %.4f %.4f %d %.4f %.2f", n, cost * 1000, ema, units, control * 1000, kb))
end
