--------------------------------------------------------------------------------
-- LiveTest cost probe, part 1 of 2 (benches/engine.rs). The engine's base widget handler calls widgets in layer
-- order, so this one (lowest layer) runs just before every other widget's GameFrame and Update, and
-- livetest_probe_end.lua (highest layer) just after: the CPU time between the two is what the widgets in between
-- (the widget under test) cost. os.clock is the process's CPU time: wall-clock timers would count the time the
-- machine gave other processes, and Spring 106's Spring.GetTimer counts whole milliseconds.
--------------------------------------------------------------------------------
function widget:GetInfo()
	return { name = "LiveTest probe begin", desc = "cost probe (tests only)", layer = -1000000, enabled = true }
end

local clock = os.clock

function widget:Initialize()
	WG.liveProbe = { t = 0, acc = 0, kb = 0, kbAcc = 0, gc = false }
end

local gcount = collectgarbage

function widget:GameFrame(n)
	local p = WG.liveProbe
	p.kb = gcount("count")
	p.t = clock()
end

function widget:Update()
	local p = WG.liveProbe
	p.kb = gcount("count")
	p.t = clock()
end
