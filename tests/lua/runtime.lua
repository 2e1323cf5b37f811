--------------------------------------------------------------------------------
-- runtime.lua: the differences between the two Lua runtimes the widget's tests and benchmark run under, in one
-- place, so the test files read the same under both:
--   lua5.1      Debian's Lua 5.1 (64-bit doubles) with `require`, LuaSocket 3 and dkjson from lua-dkjson
--   recoil-lua  the engine's own Lua (tools/recoil-lua: 32-bit floats, the engine's number formatting, int-casting
--               math.floor), LuaSocket 2.0.2 as the global `socket`, no `require`/`package`/`os.exit`/`io.popen`,
--               and recoil_lua.* timers made like the engine's Spring.GetTimer/GetTimerMicros/DiffTimers.
--
-- local RT = dofile(DIR .. "/runtime.lua")
--------------------------------------------------------------------------------
local RT = {}

local recoil = rawget(_G, "recoil_lua")
RT.recoil = recoil ~= nil
RT.name = RT.recoil and "recoil-lua" or "lua5.1"
RT.floatBits = RT.recoil and 32 or 64

local req = rawget(_G, "require")
RT.socket = rawget(_G, "socket") or req("socket")
local socket = RT.socket

local function dir()
  local src = debug.getinfo(1, "S").source:sub(2)
  return src:match("^(.*)/[^/]*$") or "."
end
local DIR = dir()

-- modules load once per process, whichever file asks first (the registry is shared by both runtimes)
local reg = debug.getregistry()
reg.LIVEDATA_TEST_MODULES = reg.LIVEDATA_TEST_MODULES or {}
local loaded = reg.LIVEDATA_TEST_MODULES

local DKJSON_PATHS = { "/usr/share/lua/5.1/dkjson.lua", "/usr/local/share/lua/5.1/dkjson.lua" }

-- require() where the runtime has it; else the same modules from known places (our own files from this folder)
function RT.require(name)
  if loaded[name] ~= nil then return loaded[name] end
  local m
  if name == "socket" then
    m = socket
  elseif name == "dkjson" then
    if req then
      m = req("dkjson")
    else
      for _, p in ipairs(DKJSON_PATHS) do
        local f = io.open(p, "r")
        if f then f:close(); m = dofile(p); break end
      end
      if not m then error("dkjson not found (apt-get install lua-dkjson): looked in " .. table.concat(DKJSON_PATHS, ", ")) end
    end
  else
    m = dofile(DIR .. "/" .. name .. ".lua")
  end
  loaded[name] = m
  return m
end

-- Wall-clock seconds for deadlines and pacing in tests (not for the widget: it gets the fake engine's timers).
-- socket.gettime() is a double in lua5.1; in the engine's Lua it moves in 128 s steps, so there os.clock(), which
-- the engine makes wall time since start (a float: 15 us steps after 200 s, fine for deadlines).
if RT.recoil then
  RT.clock = os.clock
else
  RT.clock = socket.gettime
end

-- CPU time of this thread for measuring the widget's cost: a shared 2-core machine preempts wall-clock
-- measurements. cpuStart() returns a mark, cpuMs(mark) the milliseconds since. lua5.1: os.clock() (process CPU
-- time, a double); recoil-lua: the thread's CPU clock in microseconds, kept as an integer until the difference.
if RT.recoil then
  local getCpu, diff = recoil.GetCpuTimerMicros, recoil.DiffTimers
  RT.cpuStart = getCpu
  function RT.cpuMs(mark) return diff(getCpu(), mark, true, true) end
else
  local clock = os.clock
  RT.cpuStart = clock
  function RT.cpuMs(mark) return (clock() - mark) * 1000 end
end

function RT.exit(code)
  if rawget(os, "exit") then os.exit(code) end
  -- the engine's Lua has no os.exit: recoil-lua exits with status 1 on an error, 0 at the end of the script
  if code ~= 0 then error("exit status " .. tostring(code), 0) end
end

-- recoil-lua's engine-like timers (GetTimer, GetTimerMicros, DiffTimers, AdvanceTimers), nil under lua5.1
RT.timers = recoil

return RT
