-- Armed ship. Never built (the generated map has no water): it is here for the hello's unit defs, where the widget
-- must call it army_sea from its move class alone (moveDef.smClass == Game.speedModClasses.Ship; this def sets no
-- minWaterDepth of its own).
return {
	ltboat = {
		name = "Boat",
		description = "Armed ship (defined, never built)",
		objectname = "ltbox.obj",
		explodeas = "LTBOOM",
		selfdestructas = "LTBOOM",
		script = "livetest.lua", -- a Lua unit script, installed by luarules/main.lua (no COB file)
		category = "SHIP",
		footprintx = 2,
		footprintz = 2,
		movementclass = "LTBOAT3",
		maxdamage = 400,
		buildcostmetal = 60,
		buildcostenergy = 300,
		buildtime = 1200,
		maxvelocity = 2.2,
		maxacc = 0.2,
		acceleration = 0.2,
		brakerate = 0.5,
		turnrate = 900,
		sightdistance = 350,
		canmove = true,
		canattack = true,
		canguard = true,
		canpatrol = true,
		canfight = true,
		weapons = {
			{ def = "GUN", onlytargetcategory = "SHIP" },
		},
		weapondefs = {
			gun = {
				name = "Boat cannon",
				weapontype = "Cannon",
				range = 260,
				reloadtime = 1.0,
				weaponvelocity = 400,
				areaofeffect = 16,
				damage = { default = 45 },
				tolerance = 10000,
				turret = true,
			},
		},
	},
}
