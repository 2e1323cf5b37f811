/* recoil-lua (ours, not engine code): a standalone interpreter built on the Recoil engine's own Lua 5.1 and LuaSocket.
 *
 *   recoil-lua SCRIPT [ARGS...]
 *
 * The Lua state is set up the way rts/Lua/LuaUI.cpp (CLuaUI::CLuaUI, CLuaUI::InitLuaSocket) and rts/Lua/LuaHandle.cpp
 * (CLuaHandle::CLuaHandle, LoadStringData) do it for widgets, as far as numbers, sockets and files go:
 *   - the state is created with the engine's allocator (LUA_OPEN -> spring_lua_alloc), and the unsynced RNG is
 *     seeded at start-up as SpringApp does (spring_lua_unsynced_srand(nullptr));
 *   - libraries, in the engine's order: base, io, os, math, table, string, debug; no package library, so there is
 *     no `require`, `module` or `package` (the engine does not open them for LuaUI either);
 *   - LuaSocket, if LuaSocketEnabled (default true): luaopen_socket_core, then the engine's LuaSocket/socket.lua run
 *     as chunk "LuaSocket/socket.lua"; socket restrictions come from the engine's restrictions.cpp with the engine's
 *     defaults (TCPAllowConnect "*", TCPAllowListen "*", UDPAllowConnect "", UDPAllowListen "*"); each can be set
 *     with an environment variable RECOIL_LUA_<Name>, e.g. RECOIL_LUA_TCPAllowConnect="127.0.0.1:47800";
 *   - io/os hooks: fopen checks the mode string like LuaIO::fopen but allows any path (the engine allows only paths
 *     inside its data directories); remove/rename likewise; popen refuses and system() raises, as in LuaIO;
 *   - io.popen, os.exit, os.execute, os.tmpname and os.getenv are removed, as CLuaUI does;
 *   - loadstring behaves like CLuaHandle::LoadStringData (no bytecode; the chunk gets the caller's environment,
 *     not _G); this is our own implementation of that behaviour.
 *   - recoil_lua.GetTimer/GetTimerMicros/DiffTimers/AdvanceTimers: engine-like timers for fake engines (see below).
 * Not provided: Spring, VFS, gl, Script, math/table extras (LuaMathExtra), the engine's GC policy (the engine stops
 * the collector after every call-in and collects in a separate CollectGarbage step; here Lua's incremental GC runs
 * as in plain Lua).
 * The script gets `arg` (arg[0] = SCRIPT, arg[1..n] = ARGS, arg[-1] = this program) and ARGS as `...`.
 * A script error prints the message and a traceback to stderr and exits with status 1.
 */

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <time.h>
#include <unistd.h>

#include "LuaInclude.h"
#if __has_include("lua_privileges.h")
	#include "lua_privileges.h"
	#define RECOIL_LUA_LOADBUFFER(L, s, n, name) luaL_loadbuffer_privileged(L, s, n, name, false)
#else
	// Spring 106.0 (before Recoil) has no privileged loading and no bytecode check
	#define RECOIL_LUA_LOADBUFFER(L, s, n, name) luaL_loadbuffer(L, s, n, name)
#endif
#include "lib/luasocket/src/luasocket.h"
#include "lib/luasocket/src/restrictions.h"
#include "Lua/LuaHandle.h"
#include "System/Config/ConfigHandler.h"

// rts/Lua/LuaUI.cpp declares this setting with default true
CONFIG(bool, LuaSocketEnabled).defaultValue(true);


static std::string ReadWholeFile(const std::string& path, bool* ok)
{
	std::ifstream in(path, std::ios::in | std::ios::binary);
	std::stringstream ss;
	*ok = static_cast<bool>(in);
	if (*ok)
		ss << in.rdbuf();
	return ss.str();
}

static std::string ExeDir()
{
	char buf[PATH_MAX];
	const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return ".";
	buf[n] = '\0';
	std::string p(buf);
	const size_t slash = p.rfind('/');
	return (slash == std::string::npos) ? "." : p.substr(0, slash);
}


/* ---- io/os hooks (the engine's are in rts/Lua/LuaIO.cpp) ---- */

static FILE* HookFopen(lua_State* L, const char* path, const char* mode)
{
	// LuaIO::fopen rejects mode strings with characters outside "rwabt+" (case-insensitive) with EINVAL; it also
	// rejects paths outside the engine's data directories with EPERM, which a test interpreter does not do.
	for (const char* c = mode; *c != '\0'; ++c) {
		if (std::strchr("rwabt+RWABT", *c) == nullptr) {
			errno = EINVAL;
			return nullptr;
		}
	}
	return ::fopen(path, mode);
}

static FILE* HookPopen(lua_State* L, const char* command, const char* type)
{
	errno = EINVAL; // LuaIO::popen always refuses
	return nullptr;
}

static int HookPclose(lua_State* L, FILE* stream)
{
	errno = ECHILD; // LuaIO::pclose
	return -1;
}

static int HookSystem(lua_State* L, const char* command)
{
	luaL_error(L, "the system() call is not available"); // LuaIO::system
	return -1;
}

static int HookRemove(lua_State* L, const char* pathname) { return ::remove(pathname); }
static int HookRename(lua_State* L, const char* oldpath, const char* newpath) { return ::rename(oldpath, newpath); }


/* ---- loadstring as LuaUI has it (the engine's CLuaHandle::LoadStringData) ----
 * Text only (Recoil refuses bytecode here), and the new chunk runs in the environment of the function that called
 * loadstring, or in the table given as third argument, not in _G. */

static void PushCallerEnv(lua_State* L)
{
	lua_Debug ar;
	if (lua_getstack(L, 1, &ar) == 0 || lua_getinfo(L, "f", &ar) == 0 || !lua_isfunction(L, -1))
		luaL_error(L, "loadstring: cannot find the calling function");

	lua_getfenv(L, -1);
	lua_remove(L, -2);

	// an environment can name a stand-in for itself in its "__fenv" field (the engine honours it too)
	lua_pushliteral(L, "__fenv");
	lua_rawget(L, -2);
	if (lua_isnil(L, -1))
		lua_pop(L, 1);
	else
		lua_remove(L, -2);

	if (!lua_istable(L, -1))
		luaL_error(L, "loadstring: the calling function has no table environment");
}

static int LoadStringLikeLuaUI(lua_State* L)
{
	size_t size = 0;
	const char* text = luaL_checklstring(L, 1, &size);
	const char* name = lua_isstring(L, 2) ? lua_tostring(L, 2) : text;

	if (RECOIL_LUA_LOADBUFFER(L, text, size, name) != 0) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2; // nil, message
	}

	if (lua_istable(L, 3))
		lua_pushvalue(L, 3);
	else
		PushCallerEnv(L);

	if (lua_setfenv(L, -2) == 0)
		return luaL_error(L, "loadstring: cannot set the chunk's environment");

	return 1;
}



/* ---- recoil_lua: test helpers that are not in the engine ----
 * The engine's Spring.GetTimer / GetTimerMicros return a light userdata holding an integer clock in milliseconds /
 * microseconds (no garbage, no float rounding), and Spring.DiffTimers(a, b [, inMs [, fromMicroSecs]]) subtracts two
 * of them as integers and returns the difference as a lua_Number (seconds, or milliseconds with inMs). A fake engine
 * written in Lua cannot make light userdata, and a float clock has 128 s steps (socket.gettime) or loses precision as
 * it grows (os.clock), so the interpreter offers the same three functions as recoil_lua.GetTimer, .GetTimerMicros and
 * .DiffTimers, plus .AdvanceTimers(seconds), which moves this clock (not the OS clock) forward for tests of timeouts,
 * .FreezeTimers(on), which stops the clock (only AdvanceTimers moves it then: tests whose outcome must not depend on
 * how busy the machine is), and .GetCpuTimerMicros(), a timer of this thread's CPU time for benchmarks on a shared
 * machine (use it with DiffTimers(a, b, inMs, true)).
 * A widget never sees this table in the game; fake engines use it to hand the widget engine-like timers. */

static std::int64_t timerOffsetUs = 0;
static bool timersFrozen = false;
static std::int64_t frozenUs = 0; // the clock while frozen

static std::int64_t ElapsedMicros()
{
	using namespace std::chrono;
	static const steady_clock::time_point start = steady_clock::now();
	return duration_cast<microseconds>(steady_clock::now() - start).count();
}

static std::int64_t MonotonicMicros()
{
	return timersFrozen ? frozenUs : ElapsedMicros() + timerOffsetUs;
}

static int TimerGetMillis(lua_State* L)
{
	lua_pushlightuserdata(L, reinterpret_cast<void*>(static_cast<std::uintptr_t>(MonotonicMicros() / 1000)));
	return 1;
}

static int TimerGetMicros(lua_State* L)
{
	lua_pushlightuserdata(L, reinterpret_cast<void*>(static_cast<std::uintptr_t>(MonotonicMicros())));
	return 1;
}

static int TimerGetCpuMicros(lua_State* L)
{
	timespec ts{};
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	const std::int64_t us = static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
	lua_pushlightuserdata(L, reinterpret_cast<void*>(static_cast<std::uintptr_t>(us)));
	return 1;
}

static int TimerDiff(lua_State* L)
{
	if (!lua_islightuserdata(L, 1) || !lua_islightuserdata(L, 2))
		return luaL_error(L, "DiffTimers: expected two timers");
	const std::int64_t a = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(lua_touserdata(L, 1)));
	const std::int64_t b = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(lua_touserdata(L, 2)));
	const bool inMs = lua_toboolean(L, 3) != 0;
	const bool fromMicros = lua_toboolean(L, 4) != 0;
	const double us = static_cast<double>(a - b) * (fromMicros ? 1.0 : 1000.0);
	lua_pushnumber(L, static_cast<lua_Number>(inMs ? us * 1e-3 : us * 1e-6));
	return 1;
}

static int TimerAdvance(lua_State* L)
{
	const double seconds = luaL_checknumber(L, 1);
	if (seconds < 0.0)
		return luaL_error(L, "AdvanceTimers: the clock only moves forward");
	if (timersFrozen)
		frozenUs += static_cast<std::int64_t>(seconds * 1e6);
	else
		timerOffsetUs += static_cast<std::int64_t>(seconds * 1e6);
	return 0;
}

static int TimerFreeze(lua_State* L)
{
	const bool on = lua_toboolean(L, 1) != 0;
	if (on && !timersFrozen)
		frozenUs = MonotonicMicros();
	else if (!on && timersFrozen)
		timerOffsetUs = frozenUs - ElapsedMicros(); // thawed, the clock goes on from where it stood
	timersFrozen = on;
	return 0;
}

static void OpenTestHelpers(lua_State* L)
{
	ElapsedMicros(); // the clock starts with the interpreter
	lua_newtable(L);
	lua_pushcfunction(L, TimerGetMillis);
	lua_setfield(L, -2, "GetTimer");
	lua_pushcfunction(L, TimerGetMicros);
	lua_setfield(L, -2, "GetTimerMicros");
	lua_pushcfunction(L, TimerDiff);
	lua_setfield(L, -2, "DiffTimers");
	lua_pushcfunction(L, TimerGetCpuMicros);
	lua_setfield(L, -2, "GetCpuTimerMicros");
	lua_pushcfunction(L, TimerAdvance);
	lua_setfield(L, -2, "AdvanceTimers");
	lua_pushcfunction(L, TimerFreeze);
	lua_setfield(L, -2, "FreezeTimers");
	lua_setglobal(L, "recoil_lua");
}

/* ---- running chunks ---- */

static int Traceback(lua_State* L)
{
	if (!lua_isstring(L, 1))
		return 1; // keep non-string error objects as they are
	lua_getfield(L, LUA_REGISTRYINDEX, "recoil_lua_traceback");
	if (!lua_isfunction(L, -1)) {
		lua_pop(L, 1);
		return 1;
	}
	lua_pushvalue(L, 1);
	lua_pushinteger(L, 2);
	lua_call(L, 2, 1);
	return 1;
}

// runs the function on top of the stack (below it: nargs arguments already pushed after it)
static int CallWithTraceback(lua_State* L, int nargs)
{
	const int base = lua_gettop(L) - nargs;
	lua_pushcfunction(L, Traceback);
	lua_insert(L, base);
	const int status = lua_pcall(L, nargs, 0, base);
	lua_remove(L, base);
	return status;
}

static void ReportError(lua_State* L, const char* what)
{
	const char* msg = lua_tostring(L, -1);
	std::fprintf(stderr, "recoil-lua: %s: %s\n", what, (msg != nullptr) ? msg : "(error object is not a string)");
	lua_pop(L, 1);
}

static int AtPanic(lua_State* L)
{
	const char* msg = lua_tostring(L, -1);
	std::fprintf(stderr, "recoil-lua: PANIC: unprotected error in call to Lua API (%s)\n", (msg != nullptr) ? msg : "?");
	std::exit(1);
	return 0;
}

// CLuaUI::InitLuaSocket: open socket.core, then run LuaSocket/socket.lua from the engine's base content
static bool InitLuaSocket(lua_State* L)
{
	const char* override = std::getenv("RECOIL_LUA_SOCKET_LUA");
	const std::string path = (override != nullptr) ? override : (ExeDir() + "/LuaSocket/socket.lua");

	bool ok = false;
	const std::string code = ReadWholeFile(path, &ok);
	if (!ok) {
		std::fprintf(stderr, "recoil-lua: cannot read %s (the engine's LuaSocket/socket.lua; build.sh puts it next to the binary)\n", path.c_str());
		return false;
	}

	LUA_OPEN_LIB(L, luaopen_socket_core);

	if (luaL_loadbuffer(L, code.data(), code.size(), "LuaSocket/socket.lua") != 0 || CallWithTraceback(L, 0) != 0) {
		ReportError(L, "LuaSocket/socket.lua");
		return false;
	}
	return true;
}

static void RemoveField(lua_State* L, const char* table, const char* field)
{
	lua_getglobal(L, table);
	lua_pushstring(L, field);
	lua_pushnil(L);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}


int main(int argc, char** argv)
{
	if (argc < 2) {
		std::fprintf(stderr,
			"usage: %s SCRIPT [ARGS...]\n"
			"Runs SCRIPT in the Recoil engine's Lua 5.1 (32-bit float numbers) with LuaSocket, set up like LuaUI.\n"
			"Environment: RECOIL_LUA_TCPAllowConnect, RECOIL_LUA_TCPAllowListen, RECOIL_LUA_UDPAllowConnect,\n"
			"RECOIL_LUA_UDPAllowListen (socket rules, engine syntax \"host:port host:port\" or \"*\"),\n"
			"RECOIL_LUA_LuaSocketEnabled=0, RECOIL_LUA_SOCKET_LUA=path, RECOIL_LUA_VERBOSE=1.\n", argv[0]);
		return 2;
	}

	// the engine's threads start with streflop_init<Simple>() (SSE: round-to-nearest, denormals kept)
	streflop::streflop_init<streflop::Simple>();

	// rts/System/SpringApp.cpp: spring_lua_unsynced_srand(nullptr); ... CLuaSocketRestrictions::InitStatic();
	spring_lua_unsynced_srand(nullptr);
	CLuaSocketRestrictions::InitStatic();

	// rts/Lua/LuaHandle.cpp: D.owner = this; L = LUA_OPEN(&D);
	static CLuaHandle handle("LuaUI");
	static LuaMemPool memPool;
	static luaContextData context;
	context.owner = &handle;
	context.memPool = &memPool;
	context.synced = false;

	lua_State* L = LUA_OPEN(&context);
	if (L == nullptr) {
		std::fprintf(stderr, "recoil-lua: cannot create a Lua state\n");
		return 1;
	}
	lua_atpanic(L, AtPanic);

	// rts/Lua/LuaUI.cpp: the standard libraries, in this order
	LUA_OPEN_LIB(L, luaopen_base);
	LUA_OPEN_LIB(L, luaopen_io);
	LUA_OPEN_LIB(L, luaopen_os);
	LUA_OPEN_LIB(L, luaopen_math);
	LUA_OPEN_LIB(L, luaopen_table);
	LUA_OPEN_LIB(L, luaopen_string);
	LUA_OPEN_LIB(L, luaopen_debug);

	// our error handler (the engine keeps debug.traceback in its registry too, see PushTracebackFuncToRegistry)
	lua_getglobal(L, "debug");
	lua_getfield(L, -1, "traceback");
	lua_setfield(L, LUA_REGISTRYINDEX, "recoil_lua_traceback");
	lua_pop(L, 1);

	if (configHandler->GetBool("LuaSocketEnabled") && !InitLuaSocket(L)) {
		lua_close(L);
		return 1;
	}

	lua_set_fopen(L, HookFopen);
	lua_set_popen(L, HookPopen, HookPclose);
	lua_set_system(L, HookSystem);
	lua_set_remove(L, HookRemove);
	lua_set_rename(L, HookRename);

	RemoveField(L, "io", "popen");
	RemoveField(L, "os", "exit");
	RemoveField(L, "os", "execute");
	RemoveField(L, "os", "tmpname");
	RemoveField(L, "os", "getenv");

	lua_pushcfunction(L, LoadStringLikeLuaUI);
	lua_setglobal(L, "loadstring");

	OpenTestHelpers(L);

	// arg, as the stand-alone lua interpreter sets it
	lua_createtable(L, argc, 1);
	lua_pushstring(L, argv[0]);
	lua_rawseti(L, -2, -1);
	for (int i = 1; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i - 1);
	}
	lua_setglobal(L, "arg");

	const std::string script = argv[1];
	bool ok = false;
	const std::string code = ReadWholeFile(script, &ok);
	if (!ok) {
		std::fprintf(stderr, "recoil-lua: cannot open %s\n", script.c_str());
		lua_close(L);
		return 1;
	}

	// skip a leading "#!" line, as luaL_loadfile does
	size_t start = 0;
	if (code.compare(0, 1, "#") == 0) {
		start = code.find('\n');
		start = (start == std::string::npos) ? code.size() : start;
	}

	const std::string chunkname = "@" + script;
	if (luaL_loadbuffer(L, code.data() + start, code.size() - start, chunkname.c_str()) != 0) {
		ReportError(L, "load error");
		lua_close(L);
		return 1;
	}
	for (int i = 2; i < argc; i++)
		lua_pushstring(L, argv[i]);

	const int status = CallWithTraceback(L, argc - 2);
	if (status != 0) {
		ReportError(L, "error");
		lua_close(L);
		return 1;
	}

	lua_close(L);
	return 0;
}
