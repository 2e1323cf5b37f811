#!/usr/bin/env python3
"""A live chart of a BAR game: metal income and army value per team over game time, in the teams' own colors.

Needs matplotlib (python3 -m pip install matplotlib). Takes the same options as receiver.py:

    python3 examples/python/live_chart.py                                  # instead of the overlay
    python3 examples/python/live_chart.py --connect 127.0.0.1:47801        # beside it (overlay --relay-port 47801)
    python3 examples/python/live_chart.py --seconds 30 --save chart.png    # no window: collect, then save a PNG
"""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import receiver as bar  # noqa: E402  (the directory above must be on the path first)


class History:
    """Per team, one point per game second. Written by the receiver thread, read by the drawing thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.teams = {}  # team_id -> {"name", "color", "t": [], "metal": [], "army": []}

    def add(self, second, game):
        army = game.army_values()
        with self.lock:
            for tid, team in game.teams.items():
                h = self.teams.setdefault(tid, {"t": [], "metal": [], "army": []})
                h["name"], h["color"] = team["name"], tuple(c / 255 for c in team["color"])
                metal = game.income(tid, "metal")
                h["t"].append(second / 60)
                h["metal"].append(float("nan") if metal is None else metal)  # a gap where it is unreadable
                h["army"].append(army.get(tid, 0.0))

    def clear(self, _game=None):
        with self.lock:
            self.teams = {}

    def copy(self):
        with self.lock:
            return {tid: {k: (list(v) if isinstance(v, list) else v) for k, v in h.items()}
                    for tid, h in self.teams.items()}


def draw(fig, axes, history, title):
    metal_ax, army_ax = axes
    for ax in axes:
        ax.clear()
        ax.grid(True, alpha=0.3)
    for tid, h in sorted(history.copy().items()):
        metal_ax.plot(h["t"], h["metal"], color=h["color"], label=h["name"], linewidth=1.5)
        army_ax.plot(h["t"], h["army"], color=h["color"], label=h["name"], linewidth=1.5)
    metal_ax.set_ylabel("metal income (m/s)")
    army_ax.set_ylabel("army value (metal)")
    army_ax.set_xlabel("game time (minutes)")
    if history.teams:
        metal_ax.legend(loc="upper left", fontsize="small")
    fig.suptitle(title)


def main():
    parser = bar.arguments(__doc__)
    parser.add_argument("--save", metavar="FILE.png", help="draw no window: collect, then write the chart to FILE")
    args = parser.parse_args()
    if args.save and args.seconds is None and not args.until_bye:
        parser.error("--save needs --seconds N or --until-bye (when to stop collecting)")
    # Listen before the slow matplotlib import, so that a game starting now is heard from its first second.
    rx = bar.Receiver(args.bind, args.port, args.connect, args.max_line)
    rx.start()
    print(f"live_chart: {'listening on' if args.connect is None else 'reading the'} {rx.address()}",
          file=sys.stderr, flush=True)
    import matplotlib

    if args.save:
        matplotlib.use("Agg")  # headless: no display needed
    import matplotlib.pyplot as plt

    history = History()
    rx.on_second = history.add
    rx.on_new_game = history.clear
    fig, axes = plt.subplots(2, 1, sharex=True, figsize=(10, 6))

    def title():
        g = rx.game
        return f"{g.map or 'waiting for the game'} | {bar.clock(g.seconds)}"

    if args.save:
        bar.run(rx, args.seconds, args.until_bye)
        draw(fig, axes, history, title())
        fig.savefig(args.save, dpi=100)
        print(f"live_chart: wrote {args.save} ({sum(len(h['t']) for h in history.teams.values())} points)",
              file=sys.stderr)
        return

    # The receiver runs on its own thread; the window redraws once a second from what it collected.
    done = threading.Event()
    thread = threading.Thread(target=bar.run, args=(rx, args.seconds, args.until_bye),
                              kwargs={"stop": done.is_set}, daemon=True)
    thread.start()
    from matplotlib.animation import FuncAnimation

    anim = FuncAnimation(fig, lambda _: draw(fig, axes, history, title()), interval=1000, cache_frame_data=False)
    plt.show()
    done.set()
    thread.join(timeout=2)
    del anim


if __name__ == "__main__":
    main()
