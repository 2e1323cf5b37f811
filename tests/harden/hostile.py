#!/usr/bin/env python3
"""The real binary against hostile input, as a user runs it: the window (under the X server in $DISPLAY) or `listen`.

    hostile.py --bin target/release/bar-overlay [--mode window|listen] [--out DIR] [--report-only]

Scenarios, each on a fresh process:
  largest  the largest game the limits allow (254 teams, 32,000 units) at a full snapshot a second: must be
           followed, the window repainting.
  hostile  one line naming 50,000 teams and 100,000 units, team ids up to 1e9, coordinates of +-1e30 (the line of
           issue 13), after a valid hello; resident memory and CPU sampled for 10 s; then a real game for 5 s (is it
           followed?); then SIGTERM.
  flood    3000 idle and garbage connections (flood.py) beside a game at full speed; SIGTERM after 5 s.
  giant    peers streaming lines far over the 8 MiB cap beside the game; SIGTERM after 5 s.
  close    (window) the flood, then the window is closed as a window manager closes it (WM_DELETE_WINDOW).
Prints a markdown table: peak and final resident memory, CPU over the 10 s, how long the process took to end and its
exit status. Exits 1 when a bound is broken (ending takes 3 s or more, the hostile line costs more than 300 MB, the
game after it is not followed, a panic is logged), unless --report-only (for measuring an old binary).
"""
import argparse
import ctypes
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TICK = os.sysconf("SC_CLK_TCK")
END_LIMIT = 3.0
HOSTILE_RSS_LIMIT_MB = 300


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def hello_line():
    with open(os.path.join(ROOT, "tests", "data", "hello.ndjson"), "rb") as f:
        return f.read().strip() + b"\n"


def hostile_line():
    """Issue 13's line: 50,000 teams, 100,000 units, ids up to 1e9, coordinates of +-1e30 (about 7 MB, under the cap)."""
    rnd = random.Random(13)
    teams = ",".join('{"team_id":%d}' % rnd.randrange(0, 10**9) for _ in range(50000))
    # Units of every team the line names, each far off any map; short numbers keep the line under the 8 MiB cap, so
    # that it is the limits, not the line cap, that refuse it.
    team_ids = [t.split(":")[1].rstrip("}") for t in teams.split(",")]
    units = ",".join(
        '{"id":%d,"def_id":1,"team":%s,"pos":{"x":%s,"y":0,"z":%s}}'
        % (i, team_ids[i % len(team_ids)] if i % 10 == 0 else i % 100, rnd.choice(["1e30", "-1e30"]),
           rnd.choice(["1e30", "-1e30"]))
        for i in range(100000)
    )
    line = (
        '{"type":"snapshot","schema_version":"1.0","game_frame":60,"game_seconds":2.0,"teams":[%s],'
        '"units_full":true,"units":[%s]}\n' % (teams, units)
    )
    assert len(line) < 8 << 20, len(line)
    return line.encode()


def largest_game():
    """The largest game the limits allow: a hello with 254 teams, then full snapshots of 32,000 units and every team's
    economy, one a game second (about 2.5 MB each)."""
    hello = json.loads(hello_line())
    defs = [d["def_id"] for d in hello["unit_defs"]]
    hello["teams"] = [
        {"team_id": t, "ally_team_id": t % 2, "name": "Player %d" % t, "color": [t, 255 - t, 128], "is_ai": False}
        for t in range(254)
    ]
    lines = [json.dumps(hello, separators=(",", ":")).encode() + b"\n"]
    for second in range(1, 11):
        teams = ",".join(
            '{"team_id":%d,"metal":{"current":%d,"income":%d.5},"energy":{"current":%d,"income":%d}}'
            % (t, 500 + second, 10 + t % 7, 3000 + second, 200 + t)
            for t in range(254)
        )
        units = ",".join(
            '{"id":%d,"def_id":%d,"team":%d,"pos":{"x":%d,"y":50,"z":%d}}'
            % (u, defs[u % len(defs)], u % 254, (u * 37) % 32768, (u * 91) % 32768)
            for u in range(32000)
        )
        lines.append((
            '{"type":"snapshot","schema_version":"1.0","seq":%d,"game_frame":%d,"game_seconds":%d.0,"teams":[%s],'
            '"units_full":true,"units":[%s]}\n' % (second - 1, second * 30, second, teams, units)).encode())
    return lines


class X11:
    """Just enough Xlib (ctypes) to close a window the way a window manager does: a WM_DELETE_WINDOW message."""

    class ClientMessage(ctypes.Structure):
        _fields_ = [
            ("type", ctypes.c_int),
            ("serial", ctypes.c_ulong),
            ("send_event", ctypes.c_int),
            ("display", ctypes.c_void_p),
            ("window", ctypes.c_ulong),
            ("message_type", ctypes.c_ulong),
            ("format", ctypes.c_int),
            ("data", ctypes.c_long * 5),
        ]


    def __init__(self):
        self.x = ctypes.cdll.LoadLibrary("libX11.so.6")
        self.x.XOpenDisplay.restype = ctypes.c_void_p
        self.x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x.XInternAtom.restype = ctypes.c_ulong
        self.x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self.x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
        self.x.XFlush.argtypes = [ctypes.c_void_p]
        self.d = self.x.XOpenDisplay(None)
        if not self.d:
            raise RuntimeError("cannot open the X display " + os.environ.get("DISPLAY", "(unset)"))

    def close(self, window):
        class Event(ctypes.Union):
            # XSendEvent reads a whole XEvent (24 longs), not just the client message part.
            _fields_ = [("xclient", X11.ClientMessage), ("pad", ctypes.c_long * 24)]

        whole = Event()
        ev = whole.xclient
        ev.type = 33  # ClientMessage
        ev.send_event = 1
        ev.display = self.d
        ev.window = window
        ev.message_type = self.x.XInternAtom(self.d, b"WM_PROTOCOLS", 0)
        ev.format = 32
        ev.data[0] = self.x.XInternAtom(self.d, b"WM_DELETE_WINDOW", 0)
        ev.data[1] = 0  # CurrentTime
        self.x.XSendEvent(self.d, window, 0, 0, ctypes.byref(whole))
        self.x.XFlush(self.d)


class App:
    def __init__(self, bin_path, mode, work, name):
        self.mode = mode
        self.log_path = os.path.join(work, name + ".log")
        env = dict(os.environ, RUST_LOG="info")
        if mode == "window":
            self.port = free_port()
            cfg = os.path.join(work, name + "-settings.toml")
            with open(cfg, "w") as f:
                f.write('renderer = "glow"\nweb_port = 0\n')
            args = [bin_path, "--port", str(self.port), "--config", cfg]
        else:
            args = [bin_path, "listen", "--port", "0"]
        self.log = open(self.log_path, "w")
        self.out_path = os.path.join(work, name + ".out")
        self.out = open(self.out_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=self.log, env=env)
        deadline = time.monotonic() + 30
        if mode == "listen":
            while time.monotonic() < deadline:
                m = re.search(r"listening on [\d.]+:(\d+)", self.text())
                if m:
                    self.port = int(m.group(1))
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("listen did not say its port:\n" + self.text())
        self.window = None
        if mode == "window":
            while time.monotonic() < deadline:
                out = subprocess.run(
                    ["xdotool", "search", "--name", "^BAR Live Overlay$"], capture_output=True, text=True
                ).stdout.split()
                if out:
                    self.window = int(out[0])
                    break
                if self.proc.poll() is not None:
                    raise RuntimeError("the window exited before opening:\n" + self.text())
                time.sleep(0.1)
            else:
                raise RuntimeError("no window titled 'BAR Live Overlay':\n" + self.text())
        # Listening, and drawn once.
        self.wait_listening()
        time.sleep(1.5)

    def wait_listening(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nothing listens on port %d:\n%s" % (self.port, self.text()))

    def text(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def status_lines(self):
        self.out.flush()
        with open(self.out_path, errors="replace") as f:
            return f.read().splitlines()

    def looks(self):
        """What the window shows now, as a hash of its pixels."""
        shot = subprocess.run(["import", "-window", str(self.window), "rgb:-"], capture_output=True).stdout
        return hash(shot) if shot else None

    def alive(self):
        return self.proc.poll() is None

    def stop(self, how, x11=None):
        """Asks the process to end (a signal, or closing the window); returns (seconds it took, exit status)."""
        start = time.monotonic()
        if how == "close":
            x11.close(self.window)
        else:
            self.proc.send_signal(how)
        while time.monotonic() - start < 15:
            if self.proc.poll() is not None:
                return time.monotonic() - start, self.proc.returncode
            time.sleep(0.01)
        self.proc.kill()
        self.proc.wait()
        return float("inf"), "killed after 15 s"


def bin_args(bin_path, *args):
    return subprocess.Popen([bin_path, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def game(bin_path, port, seconds=None):
    args = ["simulate", "--to", "127.0.0.1:%d" % port, "--teams", "16", "--speed", "max"]
    args += ["--seconds", str(seconds or 7200)]
    return bin_args(bin_path, *args)


def flood(port, count, *extra):
    return subprocess.Popen(
        [sys.executable, os.path.join(HERE, "flood.py"), "127.0.0.1", str(port), "--count", str(count),
         "--seconds", "60", *extra],
        stdout=subprocess.DEVNULL,
    )


def finish(*procs):
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()


def followed(app, bin_path):
    """A real game after the hostile line: is it followed? The window must still repaint (two screenshots 2.5 s apart
    differ: the game clock and graphs move); `listen` must print the game clock moving."""
    sim = bin_args(bin_path, "simulate", "--to", "127.0.0.1:%d" % app.port, "--teams", "4", "--speed", "10",
                   "--seconds", "600")
    time.sleep(3)
    if app.mode == "window":
        first = app.looks()
        time.sleep(2.5)
        ok = app.alive() and first is not None and app.looks() != first
    else:
        time.sleep(2.5)
        clocks = [m.group(1) for m in (re.search(r"game (\S+)", l) for l in app.status_lines()[-3:]) if m]
        ok = app.alive() and len(set(clocks)) > 1
    finish(sim)
    return ok


def scenario_hostile(bin_path, mode, work, shots):
    app = App(bin_path, mode, work, "hostile")
    base = rss_mb(app.proc.pid)
    s = socket.create_connection(("127.0.0.1", app.port))
    s.sendall(hello_line())
    line = hostile_line()
    cpu0 = cpu_seconds(app.proc.pid)
    t0 = time.monotonic()
    s.sendall(line)
    peak = base
    while time.monotonic() - t0 < 10:
        peak = max(peak, rss_mb(app.proc.pid))
        time.sleep(0.25)
    cpu = (cpu_seconds(app.proc.pid) - cpu0) / (time.monotonic() - t0) * 100
    after = rss_mb(app.proc.pid)
    s.close()
    ok_after = followed(app, bin_path)
    if mode == "window" and shots:
        subprocess.run(["import", "-window", str(app.window), os.path.join(shots, "hostile-window.png")],
                       capture_output=True)
    took, status = app.stop(15)
    log = app.text()
    return {
        "scenario": "hostile line (%.1f MB)" % (len(line) / 1e6),
        "rss_base": base, "rss_peak": peak, "rss_after": after, "cpu": cpu,
        "end_s": took, "status": status, "followed": ok_after,
        "refused": "over a limit" in log, "panic": "panicked" in log,
    }


def scenario_largest(bin_path, mode, work, shots):
    app = App(bin_path, mode, work, "largest")
    base = rss_mb(app.proc.pid)
    lines = largest_game()
    s = socket.create_connection(("127.0.0.1", app.port))
    cpu0 = cpu_seconds(app.proc.pid)
    t0 = time.monotonic()
    peak = base
    for line in lines:
        s.sendall(line)
        for _ in range(4):
            peak = max(peak, rss_mb(app.proc.pid))
            time.sleep(0.25)
    cpu = (cpu_seconds(app.proc.pid) - cpu0) / (time.monotonic() - t0) * 100
    after = rss_mb(app.proc.pid)
    if mode == "window" and shots:
        subprocess.run(["import", "-window", str(app.window), os.path.join(shots, "largest-window.png")],
                       capture_output=True)
    s.close()
    ok_after = followed(app, bin_path)
    took, status = app.stop(15)
    log = app.text()
    return {
        "scenario": "largest legal game: 254 teams, 32000 units, a 2.5 MB snapshot a second",
        "rss_base": base, "rss_peak": peak, "rss_after": after, "cpu": cpu,
        "end_s": took, "status": status, "followed": ok_after,
        "refused": None, "panic": "panicked" in log, "bad": "over a limit" in log,
    }


def scenario_load(bin_path, mode, work, name, how, x11=None):
    app = App(bin_path, mode, work, name)
    base = rss_mb(app.proc.pid)
    sim = game(bin_path, app.port)
    if name == "giant":
        crowd = flood(app.port, 8, "--giant-every", "1", "--bad-every", "0")
    else:
        crowd = flood(app.port, 3000)
    cpu0 = cpu_seconds(app.proc.pid)
    t0 = time.monotonic()
    peak = base
    while time.monotonic() - t0 < 5:
        peak = max(peak, rss_mb(app.proc.pid))
        time.sleep(0.25)
    cpu = (cpu_seconds(app.proc.pid) - cpu0) / (time.monotonic() - t0) * 100
    alive = app.alive()
    took, status = app.stop(how, x11)
    finish(crowd, sim)
    log = app.text()
    return {
        "scenario": {"flood": "3000-connection flood + game", "giant": "giant lines + game",
                     "close": "flood + game, window closed"}[name] + (", SIGTERM" if how == 15 else ""),
        "rss_base": base, "rss_peak": peak, "rss_after": rss_mb(app.proc.pid) or None, "cpu": cpu,
        "end_s": took, "status": status, "followed": alive, "refused": None, "panic": "panicked" in log,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "bar-overlay"))
    ap.add_argument("--mode", choices=["window", "listen"], default="window")
    ap.add_argument("--out", help="where screenshots go")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--only", help="comma-separated scenarios: hostile,largest,flood,giant,close")
    a = ap.parse_args()
    only = set((a.only or "hostile,largest,flood,giant,close").split(","))
    if a.mode == "listen":
        only.discard("close")
    x11 = X11() if a.mode == "window" else None
    rows = []
    with tempfile.TemporaryDirectory() as work:
        if "hostile" in only:
            rows.append(scenario_hostile(a.bin, a.mode, work, a.out))
        if "largest" in only:
            rows.append(scenario_largest(a.bin, a.mode, work, a.out))
        if "flood" in only:
            rows.append(scenario_load(a.bin, a.mode, work, "flood", 15))
        if "giant" in only:
            rows.append(scenario_load(a.bin, a.mode, work, "giant", 15))
        if "close" in only:
            rows.append(scenario_load(a.bin, a.mode, work, "close", "close", x11))
    fmt = lambda v: "-" if v is None else ("%.0f" % v if isinstance(v, float) else str(v))
    print("| %s | scenario | RSS before | RSS peak | RSS after | CPU (%% of a core) | ended after | exit | stayed up (and followed a game) |" % a.mode)
    print("|---|---|---:|---:|---:|---:|---:|---|---|")
    broken = []
    for r in rows:
        print("| %s | %s | %s MB | %s MB | %s MB | %s %% | %s | %s | %s |" % (
            os.path.basename(a.bin), r["scenario"], fmt(r["rss_base"]), fmt(r["rss_peak"]), fmt(r["rss_after"]),
            fmt(r["cpu"]), "%.2f s" % r["end_s"], r["status"], "yes" if r["followed"] else "NO"))
        if r["end_s"] >= END_LIMIT:
            broken.append("%s: ended after %.2f s" % (r["scenario"], r["end_s"]))
        if r["status"] != 0:
            broken.append("%s: exit status %s" % (r["scenario"], r["status"]))
        if not r["followed"]:
            broken.append("%s: the process did not stay up" % r["scenario"])
        if r["panic"]:
            broken.append("%s: a panic was logged" % r["scenario"])
        if r.get("bad"):
            broken.append("%s: a line within the limits was refused" % r["scenario"])
        if r["refused"] is False:
            broken.append("%s: the line was not refused" % r["scenario"])
        if r["scenario"].startswith("hostile") and r["rss_peak"] - r["rss_base"] > HOSTILE_RSS_LIMIT_MB:
            broken.append("%s: memory grew by %.0f MB" % (r["scenario"], r["rss_peak"] - r["rss_base"]))
    for b in broken:
        print("BROKEN: " + b, file=sys.stderr)
    sys.exit(1 if broken and not a.report_only else 0)


if __name__ == "__main__":
    main()
