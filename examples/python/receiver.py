#!/usr/bin/env python3
"""A BAR live data receiver in plain Python (standard library only): protocol v1, see SCHEMA.md.

Listens like the overlay (the widget connects to it), or with --connect reads the overlay's relay port so that it
runs beside the overlay. Prints one summary line a second; with --csv DIR writes one CSV per team, one row per game
second: game_seconds, metal_income, energy_income, army_value, and the Spectator HUD's values of protocol 1.1
(damage_dealt, damage_received, units_killed, units_died, metal_produced, metal_reclaim, idle_builders; empty cells
when the sender does not report them).

    python3 examples/python/receiver.py                          # instead of the overlay, on 127.0.0.1:47800
    python3 examples/python/receiver.py --connect 127.0.0.1:47801 --csv out/   # beside it (overlay --relay-port 47801)

Import it to build your own tool: `Game` holds the game (apply each message from `parse_line`), `Receiver` does the
sockets and calls you back once per game second (see live_chart.py).
"""

import argparse
import csv
import errno
import json
import math
import os
import re
import selectors
import socket
import sys
import time

DEFAULT_PORT = 47800
# The overlay's cap. A full snapshot of 5000 units is about 0.5 MiB, so only a broken sender comes near it.
MAX_LINE_BYTES = 8 * 1024 * 1024
# BAR's army value: metal cost of finished mobile armed units (commanders are their own category).
ARMY_CATEGORIES = frozenset({"army_land", "army_air", "army_sea"})
# Frames only go forward within one game; a hello this far behind starts another.
NEW_GAME_REWIND_FRAMES = 30
# Protocol 1.1 team fields the sender refreshes once a game second: absent in a snapshot means unchanged (SCHEMA.md).
PER_SECOND_FIELDS = ("damage_dealt", "damage_received", "units_killed", "units_died", "utility_value",
                     "economy_value", "production")
# ... and inside a readable "metal" or "energy": absent there means unchanged too (the widget sends them once a second)
PER_SECOND_RESOURCE_FIELDS = ("used", "reclaim", "converted")


class ProtocolError(ValueError):
    """A line that is not a protocol v1 message. The reader reports it and carries on with the next line."""


def parse_line(raw):
    """Turns one line (bytes, without its newline) into a message dict with "type" set, or None for a blank line.

    Raises ProtocolError for anything SCHEMA.md says a reader must reject, including a schema_version whose major is
    not 1. Unknown fields and message types are left for the caller to ignore, as later 1.x versions may add them.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtocolError(f"not valid UTF-8 (bad byte at offset {e.start})") from None
    if not text.strip():
        return None
    try:
        msg = json.loads(text)
    except ValueError as e:
        raise ProtocolError(f"not JSON: {e}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("not a JSON object")
    kind = msg.get("type")
    if kind is None and "game_frame" in msg:
        kind = "snapshot"  # the original proposal's form: a snapshot without "type"
    if not isinstance(kind, str):
        raise ProtocolError('no "type" field')
    version = msg.get("schema_version")
    if not isinstance(version, str):
        raise ProtocolError(f'{kind} without "schema_version"')
    if version.split(".")[0] != "1":
        raise ProtocolError(f'schema_version "{version}" is not supported (this receiver speaks 1.x)')
    msg["type"] = kind
    return msg


def is_finished(unit):
    progress = unit.get("build_progress")
    return progress is None or progress >= 1


class Game:
    """The game as the messages describe it. Apply every message of one connection in order."""

    def __init__(self):
        self.map = None
        self.view = None
        self.teams = {}  # team_id -> {"name", "ally_team_id", "color": (r, g, b), "is_ai", "players", "ai", ...}
        self.defs = {}  # def_id -> the hello's unit def
        self.units = {}  # unit id -> the latest unit object
        self.resources = {}  # team_id -> {"metal": resource or None, "energy": resource or None}
        self.stats = {}  # team_id -> the last value of each PER_SECOND_FIELDS field the sender reported
        self.frame = 0
        self.seconds = 0.0
        self.paused = False
        self.winners = None
        self.over = False
        self.ended_cleanly = False
        self.snapshots = 0

    def apply(self, msg):
        """Applies one parsed message. Returns True when it began another game (the state was reset first)."""
        kind = msg["type"]
        if kind == "hello":
            return self._hello(msg)
        if kind == "snapshot":
            self._snapshot(msg)
        elif kind == "event":
            self._event(msg)
        elif kind == "bye":
            self.ended_cleanly = True
        return False

    def _hello(self, h):
        frame = h.get("game_frame", 0)
        new_game = self.map is not None and (
            h.get("map") != self.map or frame + NEW_GAME_REWIND_FRAMES < self.frame
        )
        if new_game:
            self.__init__()
        self.map = h.get("map")
        self.view = h.get("view")
        self.frame = max(self.frame, frame)
        self.teams = {t["team_id"]: self._team(t) for t in h.get("teams", [])}
        self.defs = {d["def_id"]: d for d in h.get("unit_defs", [])}
        return new_game

    @staticmethod
    def _team(t):
        return {
            "name": t.get("name", f"Team {t['team_id']}"),
            "ally_team_id": t.get("ally_team_id"),
            "color": tuple(t.get("color", (128, 128, 128))),
            "is_ai": t.get("is_ai", False),
            # 1.1: side, player cards and AI card (absent from a 1.0 sender)
            "faction": t.get("faction"),
            "players": t.get("players", []),
            "ai": t.get("ai"),
        }

    def _snapshot(self, s):
        self.snapshots += 1
        self.frame = s["game_frame"]
        self.seconds = float(s.get("game_seconds", self.frame / 30))
        self.paused = s.get("is_paused", False)
        for ts in s.get("teams", []):
            tid = ts["team_id"]
            self.teams.setdefault(tid, {"name": f"Team {tid}", "ally_team_id": tid, "color": (128, 128, 128)})
            # Absent means the sender cannot read this team (an enemy of a player): unknown, not zero.
            old = self.resources.get(tid, {})
            new = {"metal": ts.get("metal"), "energy": ts.get("energy")}
            for res, r in new.items():
                if isinstance(r, dict) and isinstance(old.get(res), dict):
                    for k in PER_SECOND_RESOURCE_FIELDS:
                        if k not in r and k in old[res]:
                            r[k] = old[res][k]
            self.resources[tid] = new
            stats = self.stats.setdefault(tid, {})
            stats.update((k, ts[k]) for k in PER_SECOND_FIELDS if k in ts)
        # SCHEMA.md, unit sets: removals first, then the units; a full set replaces everything, a delta
        # (units_full false) replaces by id, and no "units" at all (minimal detail) leaves the set as it is.
        for uid in s.get("destroyed", []):
            self.units.pop(uid, None)
        for uid in s.get("hidden", []):
            self.units.pop(uid, None)
        units = s.get("units")
        if units is not None:
            if s.get("units_full", True):
                self.units = {u["id"]: u for u in units}
            else:
                for u in units:
                    self.units[u["id"]] = u

    def _event(self, e):
        self.frame = max(self.frame, e.get("game_frame", 0))
        kind = e.get("event")
        if kind == "game_over":
            self.over = True
            self.winners = e.get("winners")
        elif kind == "paused":
            self.paused = True
        elif kind == "unpaused":
            self.paused = False
        elif kind == "view_changed":
            self.view = e.get("view", self.view)
            self.stats = {}  # the new view may read less; the next full snapshot says what
            for rs in self.resources.values():
                for r in rs.values():
                    if isinstance(r, dict):
                        for k in PER_SECOND_RESOURCE_FIELDS:
                            r.pop(k, None)
        elif kind == "team_changed" and isinstance(e.get("team"), dict) and "team_id" in e["team"]:
            self.teams[e["team"]["team_id"]] = self._team(e["team"])

    def income(self, team_id, resource):
        """Income per second of "metal" or "energy", or None where the sender cannot read it."""
        r = self.resources.get(team_id, {}).get(resource)
        return None if r is None else r.get("income")

    def resource(self, team_id, resource, field):
        """A field of a team's "metal" or "energy" (e.g. "produced", "reclaim"), or None where unknown."""
        r = self.resources.get(team_id, {}).get(resource)
        return None if r is None else r.get(field)

    def stat(self, team_id, field):
        """The last reported value of a once-a-second team field (PER_SECOND_FIELDS), or None."""
        return self.stats.get(team_id, {}).get(field)

    def damage_efficiency(self, team_id):
        """The Spectator HUD's damage efficiency, dealt per hundred received, or None."""
        dealt, received = self.stat(team_id, "damage_dealt"), self.stat(team_id, "damage_received")
        return None if dealt is None or not received else dealt * 100.0 / received

    def player_label(self, team_id):
        """The lead player's country code and rating ("DE 32"), the AI's name, or "" (a 1.0 sender)."""
        team = self.teams.get(team_id, {})
        players = team.get("players") or []
        playing = [p for p in players if p.get("status", "playing") == "playing"] or players
        if playing:
            p = playing[0]
            skill = p.get("skill")
            return " ".join(x for x in (p.get("country"), None if skill is None else f"{skill:.0f}") if x)
        return (team.get("ai") or {}).get("name", "")

    def army_values(self):
        """team_id -> army value, for every known team."""
        values = dict.fromkeys(self.teams, 0.0)
        for u in self.units.values():
            d = self.defs.get(u.get("def_id"))
            if d is not None and d.get("category") in ARMY_CATEGORIES and is_finished(u):
                values[u["team"]] = values.get(u["team"], 0.0) + d.get("metal_cost", 0.0)
        return values

    def full_view(self):
        return bool(self.view and self.view.get("full_view"))


def clock(seconds):
    s = int(max(seconds, 0))
    return f"{s // 3600}:{s // 60 % 60:02}:{s % 60:02}" if s >= 3600 else f"{s // 60:02}:{s % 60:02}"


def fmt(value, digits=1):
    return "-" if value is None else f"{value:.{digits}f}"


class LineSplitter:
    """Splits a byte stream into lines, never holding more than `cap` bytes of one line."""

    def __init__(self, cap=MAX_LINE_BYTES):
        self.cap = cap
        self.buf = bytearray()
        self.skipping = False

    def feed(self, data):
        """Yields ("line", bytes) for each complete line and ("oversize", n) once per line over the cap."""
        self.buf += data
        while True:
            end = self.buf.find(b"\n")
            if end < 0:
                if len(self.buf) > self.cap:
                    if not self.skipping:
                        yield ("oversize", len(self.buf))
                    self.skipping = True
                    self.buf.clear()
                return
            line = bytes(self.buf[:end])
            del self.buf[: end + 1]
            if self.skipping:
                self.skipping = False  # the end of the oversize line: the next one is fine again
                continue
            yield ("line", line.rstrip(b"\r"))


class Receiver:
    """Sockets and bookkeeping around a Game.

    Listening (the default), one connection at a time is the game, as in the overlay: the first to send; others are
    ignored until it goes. With `connect`, it is a client of a relay (`bar-overlay --relay-port`) and reconnects when
    the relay goes away. `on_second(second, game)` runs with the game as of the end of each game second;
    `on_message(msg, game)` after each message.
    """

    def __init__(self, bind="127.0.0.1", port=DEFAULT_PORT, connect=None, max_line=MAX_LINE_BYTES):
        self.bind, self.port, self.connect_to, self.max_line = bind, port, connect, max_line
        self.game = Game()
        self.on_second = None
        self.on_message = None
        self.on_new_game = None
        self.messages = 0
        self.bad_lines = 0
        self.ignored = 0
        self.saw_bye = False
        self.sel = selectors.DefaultSelector()
        self.listener = None
        self.conns = {}  # socket -> LineSplitter
        self.source = None
        self.second = None  # the game second whose values are pending
        self.next_connect = 0.0
        self._address = f"{bind}:{port}"

    def start(self):
        """Binds now, so that a busy port is an error the caller sees before anything else runs."""
        if self.connect_to is not None:
            self._address = f"relay {self.connect_to[0]}:{self.connect_to[1]}"
            return
        try:
            self.listener = socket.create_server((self.bind, self.port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise SystemExit(
                    f"receiver: cannot listen on {self.bind}:{self.port}: the address is already in use "
                    "(is the overlay running? use --port, or read its relay with --connect HOST:PORT)"
                ) from None
            raise SystemExit(f"receiver: cannot listen on {self.bind}:{self.port}: {e.strerror or e}") from None
        host, port = self.listener.getsockname()[:2]
        self._address = f"{host}:{port}"
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ)

    def address(self):
        return self._address

    def poll(self, timeout):
        """Handles what arrives within `timeout` seconds."""
        if self.connect_to is not None and not self.conns and time.monotonic() >= self.next_connect:
            self._connect()
        for key, _ in self.sel.select(timeout if self.sel.get_map() else 0):
            sock = key.fileobj
            if sock is self.listener:
                conn, _ = self.listener.accept()
                conn.setblocking(False)
                self.conns[conn] = LineSplitter(self.max_line)
                self.sel.register(conn, selectors.EVENT_READ)
                continue
            try:
                data = sock.recv(1 << 16)
            except (ConnectionError, OSError) as e:
                self._close(sock, f"read error: {e}")
                continue
            if not data:
                self._close(sock, None)
                continue
            for kind, value in self.conns[sock].feed(data):
                if kind == "oversize":
                    self._bad(f"a line longer than the {self.max_line}-byte cap: skipped")
                else:
                    self._line(sock, value)
        if not self.sel.get_map():
            time.sleep(timeout)

    def _connect(self):
        try:
            sock = socket.create_connection(self.connect_to, timeout=2)
        except OSError:
            self.next_connect = time.monotonic() + 0.5  # the relay is not up yet, or gone: try again shortly
            return
        sock.setblocking(False)
        self.conns[sock] = LineSplitter(self.max_line)
        self.sel.register(sock, selectors.EVENT_READ)

    def _close(self, sock, reason):
        self.sel.unregister(sock)
        sock.close()
        self.conns.pop(sock, None)
        if reason:
            print(f"receiver: connection lost: {reason}", file=sys.stderr)
        if self.source is sock:
            self.source = None
        self.next_connect = time.monotonic() + 0.5

    def _bad(self, error):
        self.bad_lines += 1
        print(f"receiver: {error}", file=sys.stderr)

    def _line(self, sock, raw):
        try:
            msg = parse_line(raw)
        except ProtocolError as e:
            self._bad(f"line skipped: {e}")
            return
        if msg is None:
            return
        if self.source is None:
            self.source = sock
        if self.source is not sock:
            self.ignored += 1
            return
        if msg["type"] not in ("hello", "snapshot", "event", "bye"):
            return  # a type of a later 1.x version
        self.messages += 1
        second = None
        if msg["type"] == "snapshot":
            second = math.floor(msg.get("game_seconds", msg["game_frame"] / 30))
            # The pending second is complete once a snapshot of a later second arrives, before it is applied.
            if self.second is not None and second > self.second:
                self.flush()
        elif msg["type"] == "hello" and self.game.map is not None:
            self.flush()
        if self.game.apply(msg) and self.on_new_game:
            self.on_new_game(self.game)
        if second is not None:
            self.second = second
        if msg["type"] == "bye":
            self.flush()
            self.saw_bye = True
        if self.on_message:
            self.on_message(msg, self.game)

    def flush(self):
        """Reports the pending game second, if any (at the end of a game or of the run)."""
        if self.second is not None and self.on_second:
            self.on_second(self.second, self.game)
        self.second = None

    def close(self):
        self.flush()
        for sock in list(self.conns):
            self._close(sock, None)
        if self.listener is not None:
            self.sel.unregister(self.listener)
            self.listener.close()


class CsvWriter:
    """One CSV per team in `directory`; each later game in the same run gets files of its own."""

    COLUMNS = ("game_seconds", "metal_income", "energy_income", "army_value",
               "damage_dealt", "damage_received", "units_killed", "units_died", "metal_produced", "metal_reclaim",
               "idle_builders")

    def __init__(self, directory):
        self.dir = directory
        self.files = {}
        self.game_no = 1
        os.makedirs(directory, exist_ok=True)

    def new_game(self, _game):
        self.close()
        self.game_no += 1

    def path(self, team_id, team):
        name = re.sub(r"[^\w-]+", "_", team["name"]).strip("_") or "team"
        prefix = "" if self.game_no == 1 else f"game{self.game_no}-"
        return os.path.join(self.dir, f"{prefix}team{team_id}-{name}.csv")

    def row(self, second, game):
        army = game.army_values()
        for tid, team in sorted(game.teams.items()):
            if tid not in self.files:
                f = open(self.path(tid, team), "w", newline="", encoding="utf-8")
                w = csv.writer(f)
                w.writerow(self.COLUMNS)
                self.files[tid] = (f, w)
            f, w = self.files[tid]
            metal, energy = game.income(tid, "metal"), game.income(tid, "energy")
            production = game.stat(tid, "production") or {}
            cells = (metal, energy, army.get(tid, 0.0),
                     game.stat(tid, "damage_dealt"), game.stat(tid, "damage_received"),
                     game.stat(tid, "units_killed"), game.stat(tid, "units_died"),
                     game.resource(tid, "metal", "produced"), game.resource(tid, "metal", "reclaim"),
                     production.get("idle_builders"))
            # An unreadable or unreported value is an empty cell: unknown, not zero.
            w.writerow((second,) + tuple("" if v is None else v for v in cells))
            f.flush()

    def close(self):
        for f, _ in self.files.values():
            f.close()
        self.files = {}


def summary_line(game, receiver):
    """One line: game clock, teams, units, and per team metal income and army value."""
    if game.map is None and not game.snapshots:
        return f"waiting for the game on {receiver.address()} ({len(receiver.conns)} connections)"
    army = game.army_values()
    def team(tid, t):
        card = game.player_label(tid)
        eff = game.damage_efficiency(tid)
        return (f"{t['name']}{f' [{card}]' if card else ''} {fmt(game.income(tid, 'metal'))} m/s"
                f" army {army.get(tid, 0):.0f}{'' if eff is None else f' dmg {eff:.0f}%'}")

    teams = " | ".join(team(tid, t) for tid, t in sorted(game.teams.items()))
    state = " paused" if game.paused else (" over" if game.over else "")
    view = "" if game.full_view() else " (player view: enemies partial)"
    return f"game {clock(game.seconds)}{state} | {len(game.teams)} teams | {len(game.units)} units | {teams}{view}"


def host_port(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {text!r}")
    return (host or "127.0.0.1", int(port))


def arguments(description=__doc__):
    p = argparse.ArgumentParser(description=description.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on (default %(default)s)")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument("--connect", type=host_port, metavar="HOST:PORT",
                   help="read the overlay's relay port instead of listening (bar-overlay --relay-port)")
    p.add_argument("--max-line", type=int, default=MAX_LINE_BYTES, help="longest line accepted, bytes")
    p.add_argument("--seconds", type=float, help="stop after this many seconds (default: until Ctrl-C)")
    p.add_argument("--until-bye", action="store_true", help="stop when the game says bye")
    return p


def run(receiver, seconds=None, until_bye=False, every_second=None, stop=None):
    """Polls until Ctrl-C, `seconds` have passed, a bye (with `until_bye`), or `stop()` says so."""
    end = None if seconds is None else time.monotonic() + seconds
    next_tick = time.monotonic() + 1
    try:
        while not (until_bye and receiver.saw_bye) and not (stop and stop()):
            now = time.monotonic()
            if end is not None and now >= end:
                break
            receiver.poll(max(0.0, min(0.2, next_tick - now, (end or math.inf) - now)))
            if every_second and time.monotonic() >= next_tick:
                next_tick += 1
                every_second()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.close()


def main():
    parser = arguments()
    parser.add_argument("--csv", metavar="DIR", help="write one CSV per team into DIR, one row per game second")
    args = parser.parse_args()
    receiver = Receiver(args.bind, args.port, args.connect, args.max_line)
    receiver.start()
    print(f"receiver: listening on {receiver.address()}" if args.connect is None
          else f"receiver: reading the {receiver.address()}", file=sys.stderr, flush=True)
    writer = None
    if args.csv:
        try:
            writer = CsvWriter(args.csv)
        except OSError as e:
            raise SystemExit(f"receiver: cannot write CSV files into {args.csv}: {e.strerror or e}") from None
        receiver.on_second = writer.row
        receiver.on_new_game = writer.new_game
    run(receiver, args.seconds, args.until_bye,
        every_second=lambda: print(summary_line(receiver.game, receiver), flush=True))
    print(summary_line(receiver.game, receiver), flush=True)
    if writer:
        writer.close()
    print(f"receiver: {receiver.messages} messages, {receiver.bad_lines} bad lines, "
          f"{receiver.ignored} from other connections ignored", file=sys.stderr)


if __name__ == "__main__":
    main()
