-- Radar tower: shows enemy units far outside line of sight as radar blips (a player's view gets them without health,
-- and without a type until seen once).
return {
	ltradar = {
		name = "Radar",
		description = "Sees far, without line of sight",
		objectname = "ltbox.obj",
		explodeas = "LTBOOM",
		selfdestructas = "LTBOOM",
		script = "livetest.lua", -- a Lua unit script, installed by luarules/main.lua (no COB file)
		category = "GROUND BUILDING",
		footprintx = 2,
		footprintz = 2,
		yardmap = "oooo",
		maxdamage = 600,
		buildcostmetal = 50,
		buildcostenergy = 500,
		buildtime = 1000,
		maxvelocity = 0,
		sightdistance = 120,
		radardistance = 2400,
		activatewhenbuilt = true, -- a radar only works while the unit is on
		onoffable = true,
		canmove = false,
		levelground = true,
	},
}
