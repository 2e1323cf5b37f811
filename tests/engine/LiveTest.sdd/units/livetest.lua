-- The LiveTest game's seven unit types, in one file: each says only how it differs from what the types share, so a
-- shared part (model, script, explosion, a tank's motion) is changed once. The base content's unitdefs.lua takes
-- every name-to-table pair a units/*.lua file returns. Every call builds new tables: no two types share one.

local function with(base, over)
	for k, v in pairs(over) do
		base[k] = v
	end
	return base
end

-- What every type has: a box model, the LTBOOM death explosion, and a Lua unit script (installed by
-- luarules/main.lua; there is no COB file).
local function unit(def)
	return with({
		objectname = "ltbox.obj",
		explodeas = "LTBOOM",
		selfdestructas = "LTBOOM",
		script = "livetest.lua",
		footprintx = 2,
		footprintz = 2,
	}, def)
end

-- A building: does not move, levels the ground under it.
local function structure(def)
	return unit(with({ maxvelocity = 0, canmove = false, levelground = true }, def))
end

-- The orders a player gives an armed unit that moves.
local function armed(def)
	return unit(with({ canmove = true, canattack = true, canguard = true, canpatrol = true, canfight = true }, def))
end

-- One turret weapon, `def` its name in the unit's `weapons` list.
local function weapon(def, targets, stats)
	return {
		weapons = { { def = string.upper(def), onlytargetcategory = targets } },
		weapondefs = { [def] = with({ tolerance = 10000, turret = true }, stats) },
	}
end

-- The tank and the boat: the same cheap cannon unit, on land and at sea.
local function cannon_unit(def, cannon, targets)
	return armed(with(with({
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
	}, weapon("gun", targets, {
		name = cannon,
		weapontype = "Cannon",
		range = 260,
		reloadtime = 1.0,
		weaponvelocity = 400,
		areaofeffect = 16,
		damage = { default = 45 },
	})), def))
end

return {
	-- Commander: start unit of both sides (gamedata/sidedata.lua); builder, armed, makes metal and energy.
	ltcom = unit(with({
		name = "Commander",
		description = "Start unit: builds, shoots, makes resources",
		category = "GROUND COMMANDER",
		movementclass = "LTTANK2",
		maxdamage = 3000,
		buildcostmetal = 1000,
		buildcostenergy = 5000,
		buildtime = 20000,
		maxvelocity = 1.4,
		maxacc = 0.1,
		acceleration = 0.1,
		brakerate = 0.3,
		turnrate = 800,
		sightdistance = 450,
		radardistance = 700,
		activatewhenbuilt = true, -- a radar only works while the unit is on
		builder = true,
		workertime = 300,
		builddistance = 140,
		canassist = true,
		canrepair = true,
		canreclaim = true,
		canmove = true,
		canattack = true,
		canguard = true,
		canpatrol = true,
		metalmake = 1.5,
		energymake = 20,
		metalstorage = 500,
		energystorage = 1000,
		commander = true,
		-- BAR marks commanders (and the overlay's "commander" category) with this custom parameter
		customparams = { iscommander = "1" },
		buildoptions = { "ltsolar", "ltlab" },
	}, weapon("comlaser", "GROUND AIR", {
		name = "Commander laser",
		weapontype = "LaserCannon",
		range = 300,
		reloadtime = 0.8,
		weaponvelocity = 600,
		areaofeffect = 8,
		damage = { default = 60 },
		canattackground = true,
	}))),

	-- Cheap armed ground unit.
	lttank = cannon_unit({
		name = "Tank",
		description = "Cheap armed ground unit",
		category = "GROUND",
		movementclass = "LTTANK2",
	}, "Tank cannon", "GROUND"),

	-- Armed ship. Never built (the generated map has no water): it is here for the hello's unit defs, where the
	-- widget must call it army_sea from its move class alone (moveDef.smClass == Game.speedModClasses.Ship; this def
	-- sets no minWaterDepth of its own).
	ltboat = cannon_unit({
		name = "Boat",
		description = "Armed ship (defined, never built)",
		category = "SHIP",
		movementclass = "LTBOAT3",
	}, "Boat cannon", "SHIP"),

	-- Gunship: flying unit with a laser.
	ltplane = armed(with({
		name = "Gunship",
		description = "Armed aircraft",
		category = "AIR",
		maxdamage = 300,
		buildcostmetal = 120,
		buildcostenergy = 1200,
		buildtime = 2500,
		maxvelocity = 4.5,
		maxacc = 0.15,
		acceleration = 0.15,
		brakerate = 0.4,
		turnrate = 600,
		sightdistance = 450,
		canfly = true,
		hoverattack = true,
		cruisealt = 80,
	}, weapon("airlaser", "GROUND", {
		name = "Gunship laser",
		weapontype = "LaserCannon",
		range = 220,
		reloadtime = 0.6,
		weaponvelocity = 700,
		areaofeffect = 8,
		damage = { default = 20 },
	}))),

	-- Energy building.
	ltsolar = structure({
		name = "Solar",
		description = "Makes energy",
		objectname = "ltbig.obj",
		category = "GROUND BUILDING",
		footprintx = 3,
		footprintz = 3,
		yardmap = "ooooooooo",
		maxdamage = 800,
		buildcostmetal = 80,
		buildcostenergy = 0,
		buildtime = 1500,
		sightdistance = 200,
		energymake = 25,
		energystorage = 200,
		-- BAR's unit group for energy buildings: the overlay's "economy" category
		customparams = { unitgroup = "energy" },
	}),

	-- Radar tower: shows enemy units far outside line of sight as radar blips (a player's view gets them without
	-- health, and without a type until seen once).
	ltradar = structure({
		name = "Radar",
		description = "Sees far, without line of sight",
		category = "GROUND BUILDING",
		yardmap = "oooo",
		maxdamage = 600,
		buildcostmetal = 50,
		buildcostenergy = 500,
		buildtime = 1000,
		sightdistance = 120,
		radardistance = 2400,
		activatewhenbuilt = true, -- a radar only works while the unit is on
		onoffable = true,
	}),

	-- Factory: builds tanks and gunships (it moves its rally point, so it can move and patrol).
	ltlab = structure({
		name = "Factory",
		description = "Builds tanks and gunships",
		objectname = "ltbig.obj",
		category = "GROUND BUILDING",
		footprintx = 4,
		footprintz = 4,
		yardmap = "occoocco occoocco",
		maxdamage = 2500,
		buildcostmetal = 200,
		buildcostenergy = 1000,
		buildtime = 3000,
		sightdistance = 250,
		builder = true,
		workertime = 200,
		canmove = true,
		canpatrol = true,
		buildoptions = { "lttank", "ltplane" },
	}),
}
