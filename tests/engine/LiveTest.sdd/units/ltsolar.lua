-- Energy building (no weapon, does not move).
return {
	ltsolar = {
		name = "Solar",
		description = "Makes energy",
		objectname = "ltbig.obj",
		explodeas = "LTBOOM",
		selfdestructas = "LTBOOM",
		script = "livetest.lua", -- a Lua unit script, installed by luarules/main.lua (no COB file)
		category = "GROUND BUILDING",
		footprintx = 3,
		footprintz = 3,
		yardmap = "ooooooooo",
		maxdamage = 800,
		buildcostmetal = 80,
		buildcostenergy = 0,
		buildtime = 1500,
		maxvelocity = 0,
		sightdistance = 200,
		energymake = 25,
		energystorage = 200,
		canmove = false,
		-- BAR's unit group for energy buildings: the overlay's "economy" category
		customparams = { unitgroup = "energy" },
		levelground = true,
	},
}
