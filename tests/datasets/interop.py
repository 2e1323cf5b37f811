"""Reads an exported dataset with DuckDB and pyarrow, as an analyst would, and checks it against the recordings.

usage: interop.py DATASET_PARQUET DATASET_CSV SUMMARIES_JSON RECORDING...

- every table reads with pyarrow.dataset and with DuckDB's read_parquet over the folder's glob, as is;
- the row counts equal what the recordings hold, counted here from the NDJSON without the Rust code;
- the queries in docs/datasets.md marked `<!-- tested: NAME -->` run as written (the dataset is at `dataset/`), and
  "army value at 10:00 per player" equals `bar-overlay summary --json`'s final army value of each 10-minute game;
- the CSV export reads with DuckDB and gives the same rows and numbers.

Prints one line per check and "N passed, N failed"; exits 1 on any failure.
"""

import json
import math
import os
import re
import shutil
import sys
import tempfile

import duckdb
import pyarrow.dataset as ds

TABLES = ["games", "teams", "players", "unit_defs", "team_seconds", "units", "events", "commands"]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def expected_rows(path):
    """Rows per table for one recording of one game, from the JSON lines alone."""
    n = {t: 0 for t in TABLES}
    teams = defs = 0
    players = {}  # team id -> player cards on its last description
    last_second = None
    units = {}  # id -> (team, finished)
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                v = json.loads(line)
            except ValueError:
                continue
            kind = v.get("type")
            if kind == "hello":
                teams, defs = len(v["teams"]), len(v["unit_defs"])
                players = {t["team_id"]: len(t.get("players", [])) for t in v["teams"]}
            elif kind == "snapshot":
                for uid in v.get("destroyed", []):
                    n["events"] += 1
                    units.pop(uid, None)
                full = v.get("units_full", True)
                nxt = {} if full else dict(units)
                for u in v.get("units", []):
                    finished = u.get("build_progress", 1.0) >= 1.0
                    old = units.get(u["id"])
                    if old is not None:
                        n["events"] += (old[0] != u["team"]) + (not old[1] and finished)
                    nxt[u["id"]] = (u["team"], finished)
                units = nxt
                n["units"] += len(v.get("units", []))
                second = math.floor(v["game_seconds"])
                if last_second is None or second > last_second:
                    last_second = second
                    n["team_seconds"] += teams
            elif kind == "event" and v.get("event") == "orders":
                for o in v["orders"]:
                    if o["kind"] == "command":
                        n["commands"] += len(o["unit_ids"])
                    elif o["kind"] in ("build_started", "factory_queue"):
                        n["commands"] += 1
            elif kind == "event" and v.get("event") != "status":
                if v.get("event") == "team_changed":
                    players[v["team"]["team_id"]] = len(v["team"].get("players", []))
                n["events"] += 1
    n.update(games=1, teams=teams, unit_defs=defs, players=sum(players.values()))
    return n


def doc_queries():
    """The SQL blocks of docs/datasets.md that follow a `<!-- tested: NAME -->` marker."""
    with open(os.path.join(ROOT, "docs", "datasets.md"), encoding="utf-8") as f:
        text = f.read()
    return dict(re.findall(r"<!-- tested: (\w+) -->\s*```sql\n(.*?)```", text, re.S))


def main():
    parquet_dir, csv_dir, summaries_path, *recordings = sys.argv[1:]
    with open(summaries_path, encoding="utf-8") as f:
        summaries = json.load(f)  # game_id -> summary --json
    want = {t: 0 for t in TABLES}
    for r in recordings:
        for t, k in expected_rows(r).items():
            want[t] += k

    check(f"the recordings hold decision points ({want['commands']} command rows)", want["commands"] > 0)
    con = duckdb.connect()
    for t in TABLES:
        arrow = ds.dataset(os.path.join(parquet_dir, t), format="parquet").to_table()
        check(f"pyarrow reads {t}: {arrow.num_rows} rows", arrow.num_rows == want[t], f"want {want[t]}")
        (duck,) = con.sql(f"SELECT count(*) FROM read_parquet('{parquet_dir}/{t}/*.parquet')").fetchall()[0]
        check(f"duckdb reads {t}: {duck} rows", duck == want[t], f"want {want[t]}")
        (csv,) = con.sql(f"SELECT count(*) FROM read_csv('{csv_dir}/{t}/*.csv', header = true)").fetchall()[0]
        check(f"duckdb reads {t} as CSV: {csv} rows", csv == want[t], f"want {want[t]}")
        names = [c.lower() for c in arrow.schema.names]
        check(f"{t} starts with game_id", names[0] == "game_id", str(names))

    # The documented queries, as written, against the dataset at `dataset/`.
    queries = doc_queries()
    check("docs/datasets.md has its tested queries", {"army_at_10", "duration", "deaths"} <= set(queries), str(queries.keys()))
    work = tempfile.mkdtemp()
    try:
        os.symlink(os.path.abspath(parquet_dir), os.path.join(work, "dataset"))
        os.chdir(work)
        for name, sql in sorted(queries.items()):
            try:
                rows = con.sql(sql).fetchall()
                check(f"docs query {name} runs ({len(rows)} rows)", len(rows) > 0)
            except duckdb.Error as e:
                check(f"docs query {name} runs", False, str(e))
        army = con.sql(queries.get("army_at_10", "SELECT 1")).fetchall()
        got = {(g, p): round(v, 3) for g, p, v in army}
        expect = {}
        for game_id, s in summaries.items():
            if s["duration_seconds"] == 600.0:
                for t in s["teams"]:
                    expect[(game_id, t["name"])] = round(t["final_army_value"], 3)
        check(
            f"army value at 10:00 per player equals summary --json ({len(expect)} players)",
            len(expect) > 0 and got == expect,
            f"\n  query:   {sorted(got.items())[:6]}\n  summary: {sorted(expect.items())[:6]}",
        )
        # The same figure from the CSV export.
        csv_army = con.sql(
            queries["army_at_10"].replace("read_parquet('dataset/team_seconds/*.parquet')", f"read_csv('{csv_dir}/team_seconds/*.csv')")
            .replace("read_parquet('dataset/teams/*.parquet')", f"read_csv('{csv_dir}/teams/*.csv')")
        ).fetchall()
        check("the CSV export gives the same army values", {(g, p): round(v, 3) for g, p, v in csv_army} == expect)
        peaks = con.sql(
            "SELECT s.game_id, t.name, max(s.army_value) FROM read_parquet('dataset/team_seconds/*.parquet') s "
            "JOIN read_parquet('dataset/teams/*.parquet') t USING (game_id, team_id) GROUP BY ALL"
        ).fetchall()
        want_peaks = {(g, t["name"]): t["peak_army_value"] for g, s in summaries.items() for t in s["teams"]}
        check("peak army value per player equals summary --json", {(g, p): v for g, p, v in peaks} == want_peaks)
    finally:
        os.chdir(ROOT)
        shutil.rmtree(work)

    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
