#!/usr/bin/env python3
"""A hostile crowd for the hardening tests: keeps COUNT connections to HOST:PORT open for SECONDS.

    flood.py HOST PORT [--count 3000] [--seconds 20] [--bad-every 3] [--giant-every 0]

Every --bad-every'th connection sends garbage lines now and then (not JSON, a wrong version, a snapshot over the
limits); the others stay idle. A connection the server closes is opened again at once, so the crowd stays at COUNT
for the whole run. With --giant-every N, every N'th connection streams a line far over the 8 MiB cap instead.
Prints one JSON line at the end: connections opened, closed by the server, refused, bytes sent.
Standard library only. The file descriptor limit is raised to its hard maximum first.
"""
import argparse
import errno
import json
import resource
import selectors
import signal
import socket
import time

BAD_LINES = [
    b"this is not json\n",
    b'{"type":"snapshot","schema_version":"2.0","game_frame":1,"game_seconds":0}\n',
    b'{"type":"snapshot","schema_version":"1.0","game_frame":1,"game_seconds":0,"teams":[{"team_id":1000000000}]}\n',
    b'{"type":"hello"}\n',
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--bad-every", type=int, default=3)
    ap.add_argument("--giant-every", type=int, default=0)
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, a.count + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    count = min(a.count, want - 64)

    sel = selectors.DefaultSelector()
    stats = {"opened": 0, "closed_by_server": 0, "refused": 0, "bytes_sent": 0, "target": count}
    giant = b"x" * (1 << 20)

    def open_one(i):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((a.host, a.port))
        except BlockingIOError:
            pass
        except OSError:
            stats["refused"] += 1
            s.close()
            return False
        kind = "idle"
        if a.giant_every and i % a.giant_every == 0:
            kind = "giant"
        elif a.bad_every and i % a.bad_every == 0:
            kind = "bad"
        # Only a giant streamer waits for writability; bad ones write in rounds below, idle ones never.
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if kind == "giant" else 0)
        sel.register(s, events, {"i": i, "kind": kind})
        stats["opened"] += 1
        return True

    deadline = time.monotonic() + a.seconds
    stopping = []
    # SIGTERM ends the run early, still printing the stats.
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    live = 0
    i = 0
    buf = bytearray(65536)
    next_round = 0.0
    while time.monotonic() < deadline and not stopping:
        while live < count and time.monotonic() < deadline:
            if open_one(i):
                live += 1
            i += 1
            if i % 200 == 0:
                break  # let the event loop run between bursts
        for key, mask in sel.select(timeout=0.05):
            s, d = key.fileobj, key.data
            closed = False
            if mask & selectors.EVENT_READ:
                try:
                    n = s.recv_into(buf)
                    closed = n == 0
                except (ConnectionResetError, BrokenPipeError):
                    closed = True
                except OSError as e:
                    closed = e.errno not in (errno.EAGAIN, errno.EWOULDBLOCK)
            if not closed and mask & selectors.EVENT_WRITE:
                try:
                    stats["bytes_sent"] += s.send(giant)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    closed = True
            if closed:
                sel.unregister(s)
                s.close()
                live -= 1
                stats["closed_by_server"] += 1
        now = time.monotonic()
        if now >= next_round:
            next_round = now + 0.25
            for key in list(sel.get_map().values()):
                if key.data["kind"] != "bad":
                    continue
                try:
                    stats["bytes_sent"] += key.fileobj.send(BAD_LINES[key.data["i"] % len(BAD_LINES)])
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    pass  # the read side notices the close
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
