//! `bar-overlay export`, the real binary: every row of a recording lands in its table (counted independently from
//! the NDJSON), the numbers agree with `summary`, bad lines are reported and skipped, CSV has the same rows, and no
//! half-written file is ever visible, even when the export is killed.

use bar_overlay::protocol::{self, Bye, Detail, Event, EventKind, Message, SCHEMA_VERSION};
use bar_overlay::senders::simulate::{Encoder, World};
use bar_overlay::tools::export::{TABLES, schema};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_bar-overlay");

use crate::common::run;

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// A whole simulated game as `record` would write it: hello, snapshots, game start, deaths, game over, bye.
fn recording(seed: u64, teams: u32, units: u32, seconds: f64, rate: f64) -> String {
    recording_at(Detail::Standard, seed, teams, units, seconds, rate)
}

/// At comprehensive detail the game carries decision points (`orders` events), as the widget's does.
fn recording_at(
    detail: Detail,
    seed: u64,
    teams: u32,
    units: u32,
    seconds: f64,
    rate: f64,
) -> String {
    let mut world = World::new(seed, teams, units, seconds);
    if detail == Detail::Comprehensive {
        world.record_orders();
    }
    let mut enc = Encoder::new(detail, rate, seed);
    let mut out = protocol::encode_line(&enc.hello(&world));
    let event = |world: &World, kind| {
        protocol::encode_line(&Message::Event(Event {
            schema_version: SCHEMA_VERSION.into(),
            game_frame: world.frame,
            kind,
        }))
    };
    let end = (seconds * 30.0).round() as u32;
    while world.frame < end {
        world.step();
        if world.frame == 1 {
            out.extend(event(&world, EventKind::GameStart));
        }
        for team in std::mem::take(&mut world.died) {
            out.extend(event(&world, EventKind::TeamDied { team_id: team }));
        }
        let orders = world.take_orders();
        if !orders.is_empty() {
            out.extend(event(&world, EventKind::Orders { orders }));
        }
        if world.frame.is_multiple_of(enc.frames_per_snapshot()) {
            out.extend(protocol::encode_line(&enc.snapshot(&mut world)));
        }
    }
    let winners = Some(vec![world.leading_ally()]);
    out.extend(event(&world, EventKind::GameOver { winners }));
    out.extend(protocol::encode_line(&Message::Bye(Bye {
        schema_version: SCHEMA_VERSION.into(),
        game_frame: Some(world.frame),
        reason: Some("game_over".into()),
    })));
    String::from_utf8(out).expect("utf8")
}

/// Rows each table should get from one game's lines, counted from the JSON without the crate's parser or model.
fn expected_rows(text: &str) -> BTreeMap<&'static str, u64> {
    let mut n: BTreeMap<&'static str, u64> = TABLES.iter().map(|t| (*t, 0)).collect();
    let mut teams = 0u64;
    let mut defs = 0u64;
    // team id -> players on its last description
    let mut players: BTreeMap<u64, u64> = BTreeMap::new();
    let mut last_second: Option<i64> = None;
    // id -> (team, finished)
    let mut units: HashMap<u64, (u64, bool)> = HashMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(kind) = v.get("type").and_then(Value::as_str) else {
            continue;
        };
        match kind {
            "hello" => {
                teams = v["teams"].as_array().map_or(0, |a| a.len() as u64);
                defs = v["unit_defs"].as_array().map_or(0, |a| a.len() as u64);
                players = v["teams"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| {
                        let n = t["players"].as_array().map_or(0, |p| p.len() as u64);
                        (t["team_id"].as_u64().expect("team_id"), n)
                    })
                    .collect();
            }
            "snapshot" => {
                let events = n.get_mut("events").expect("events");
                for id in v["destroyed"].as_array().into_iter().flatten() {
                    *events += 1;
                    units.remove(&id.as_u64().expect("id"));
                }
                let list = v["units"].as_array().cloned().unwrap_or_default();
                let full = v.get("units_full").and_then(Value::as_bool).unwrap_or(true);
                let mut next = if full { HashMap::new() } else { units.clone() };
                for u in &list {
                    let id = u["id"].as_u64().expect("id");
                    let team = u["team"].as_u64().expect("team");
                    let finished = u
                        .get("build_progress")
                        .and_then(Value::as_f64)
                        .is_none_or(|p| p >= 1.0);
                    if let Some((old_team, old_finished)) = units.get(&id) {
                        *events +=
                            u64::from(*old_team != team) + u64::from(!old_finished && finished);
                    }
                    next.insert(id, (team, finished));
                }
                units = next;
                *n.get_mut("units").expect("units") += list.len() as u64;
                let second = v["game_seconds"].as_f64().expect("seconds").floor() as i64;
                if last_second.is_none_or(|l| second > l) {
                    last_second = Some(second);
                    *n.get_mut("team_seconds").expect("team_seconds") += teams;
                }
            }
            "event" if v["event"] == "orders" => {
                // A command makes a row per unit ordered; a build started or queue change, one.
                for o in v["orders"].as_array().into_iter().flatten() {
                    *n.get_mut("commands").expect("commands") += match o["kind"].as_str() {
                        Some("command") => o["unit_ids"].as_array().map_or(0, |a| a.len() as u64),
                        Some("build_started" | "factory_queue") => 1,
                        _ => 0,
                    };
                }
            }
            "event" if v["event"] != "status" => {
                if v["event"] == "team_changed" {
                    let t = &v["team"];
                    let n = t["players"].as_array().map_or(0, |p| p.len() as u64);
                    players.insert(t["team_id"].as_u64().expect("team_id"), n);
                }
                *n.get_mut("events").expect("events") += 1
            }
            _ => {}
        }
    }
    n.insert("games", 1);
    n.insert("teams", teams);
    n.insert("unit_defs", defs);
    n.insert("players", players.values().sum());
    n
}

/// `OUT/<table>/<game_id>.parquet` rows, by table.
fn parquet_rows(out: &Path, game_id: &str) -> BTreeMap<&'static str, u64> {
    TABLES
        .iter()
        .map(|t| {
            let path = out.join(t).join(format!("{game_id}.parquet"));
            let file =
                std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let reader = SerializedFileReader::new(file).expect("a Parquet file");
            (*t, reader.metadata().file_metadata().num_rows() as u64)
        })
        .collect()
}

/// One table of one game as rows of named fields.
fn read_table(out: &Path, table: &str, game_id: &str) -> Vec<BTreeMap<String, Field>> {
    let path = out.join(table).join(format!("{game_id}.parquet"));
    let reader =
        SerializedFileReader::new(std::fs::File::open(&path).expect("open")).expect("parquet");
    reader
        .get_row_iter(None)
        .expect("rows")
        .map(|r| {
            r.expect("row")
                .get_column_iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .collect()
}

fn visible_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for t in TABLES {
        let Ok(entries) = std::fs::read_dir(dir.join(t)) else {
            continue;
        };
        for e in entries.flatten() {
            if !e.file_name().to_string_lossy().starts_with('.') {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for t in TABLES {
        for e in std::fs::read_dir(dir.join(t))
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn every_row_of_every_game_lands_in_its_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let recs = dir.path().join("recs");
    std::fs::create_dir_all(recs.join("day2")).expect("mkdir");
    let a = recording(5, 4, 200, 240.0, 10.0);
    let (b1, b2) = (
        recording(6, 2, 80, 90.0, 5.0),
        recording(7, 3, 60, 60.0, 5.0),
    );
    std::fs::write(recs.join("a.ndjson"), &a).expect("write");
    // Two games in one file (the client stayed connected across games): `b` and `b-g2`.
    std::fs::write(recs.join("day2/b.ndjson"), format!("{b1}{b2}")).expect("write");
    let out = dir.path().join("out");
    let o = run(&["export", arg(&recs), "--out", arg(&out)]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("exported 3 games from 2 recordings"),
        "{stdout}"
    );

    for (id, text) in [("a", &a), ("b", &b1), ("b-g2", &b2)] {
        let want = expected_rows(text);
        assert_eq!(parquet_rows(&out, id), want, "game {id}");
        assert!(
            want["units"] > 1000 && want["team_seconds"] > 100 && want["events"] > 10,
            "{want:?}"
        );
    }
    assert_eq!(
        all_files(&out).len(),
        3 * TABLES.len(),
        "only the finished files are left"
    );

    // The per-team numbers are the overlay's: the same as `summary --json`.
    let summary = run(&["summary", arg(&recs.join("a.ndjson")), "--json"]);
    let summary: Value = serde_json::from_slice(&summary.stdout).expect("summary json");
    let teams = read_table(&out, "teams", "a");
    assert_eq!(teams.len(), summary["teams"].as_array().map_or(0, Vec::len));
    for (row, want) in teams
        .iter()
        .zip(summary["teams"].as_array().into_iter().flatten())
    {
        assert_eq!(
            row["name"],
            Field::Str(want["name"].as_str().expect("name").into())
        );
        assert_eq!(
            row["final_army_value"],
            Field::Double(want["final_army_value"].as_f64().expect("army"))
        );
        assert_eq!(
            row["peak_army_value"],
            Field::Double(want["peak_army_value"].as_f64().expect("peak"))
        );
        assert_eq!(row["won"], Field::Bool(want["won"].as_bool().expect("won")));
    }
    let games = read_table(&out, "games", "b-g2");
    assert_eq!(games[0]["game_in_file"], Field::Int(2));
    assert_eq!(games[0]["duration_seconds"], Field::Double(60.0));
    assert_eq!(games[0]["teams"], Field::Int(3));
    assert_eq!(games[0]["ended_cleanly"], Field::Bool(true));
}

#[test]
fn bad_lines_are_reported_by_number_and_the_rest_is_exported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = recording(8, 2, 60, 60.0, 5.0);
    let lines: Vec<&str> = good.lines().collect();
    let mut bytes = Vec::new();
    let mut valid = String::new();
    for (i, l) in lines.iter().enumerate() {
        match i {
            // Before the 5th, 9th and 12th lines: not JSON, not UTF-8, a snapshot of a future major version.
            4 => bytes.extend_from_slice(b"{\"type\":\"snapshot\",garbage\n"),
            8 => bytes.extend_from_slice(b"\xff\xfe not text\n"),
            11 => bytes.extend_from_slice(
                b"{\"type\":\"snapshot\",\"schema_version\":\"2.0\",\"game_frame\":1}\n",
            ),
            _ => {}
        }
        bytes.extend_from_slice(l.as_bytes());
        bytes.push(b'\n');
        if i + 1 < lines.len() {
            valid += l;
            valid.push('\n');
        }
    }
    // Cut off mid-line, as when the recorder is killed mid-write.
    let last = lines.last().expect("lines");
    let cut = bytes.len() - last.len() / 2 - 1;
    bytes.truncate(cut);
    let file = dir.path().join("cut.ndjson");
    std::fs::write(&file, &bytes).expect("write");
    let out = dir.path().join("out");
    let o = run(&["export", arg(&file), "--out", arg(&out)]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "partial export status; {stderr}");
    let total = lines.len() + 3;
    for n in [5, 10, 14, total] {
        assert!(
            stderr.contains(&format!("cut.ndjson: line {n}: ")),
            "line {n} reported: {stderr}"
        );
    }
    assert_eq!(stderr.lines().count(), 4, "one line per problem: {stderr}");
    assert_eq!(parquet_rows(&out, "cut"), expected_rows(&valid));
    assert_eq!(
        read_table(&out, "games", "cut")[0]["lines_skipped"],
        Field::Int(4)
    );

    // Many problems: the first few are shown, the rest counted in one line.
    let noisy = dir.path().join("noisy.ndjson");
    std::fs::write(&noisy, format!("{}{good}", "not json\n".repeat(500))).expect("write");
    let o = run(&["export", arg(&noisy), "--out", arg(&out)]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(stderr.lines().count(), 11, "{stderr}");
    assert!(stderr.contains("490 more problems not shown"), "{stderr}");
    assert_eq!(parquet_rows(&out, "noisy"), expected_rows(&good));
}

#[test]
fn csv_holds_the_same_rows_under_the_same_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = recording(9, 4, 120, 120.0, 10.0);
    let file = dir.path().join("g.ndjson");
    std::fs::write(&file, &text).expect("write");
    let out = dir.path().join("csv");
    let o = run(&["export", arg(&file), "--out", arg(&out), "--format", "csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want = expected_rows(&text);
    for t in TABLES {
        let mut r = csv::Reader::from_path(out.join(t).join("g.csv")).expect("csv");
        let header: Vec<String> = r
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect();
        let columns: Vec<&str> = schema(t)
            .expect("schema")
            .columns
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(header, columns, "{t}");
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("record")).collect();
        assert_eq!(rows.len() as u64, want[t], "{t}");
        assert!(rows.iter().all(|row| row.len() == columns.len()), "{t}");
    }
    // Names (with spaces and quotes) survive CSV quoting.
    let hello: Value = serde_json::from_str(text.lines().next().expect("hello")).expect("json");
    let names: Vec<&str> = hello["teams"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let mut r = csv::Reader::from_path(out.join("teams/g.csv")).expect("csv");
    let got: Vec<String> = r
        .records()
        .map(|x| x.expect("record")[3].to_owned())
        .collect();
    assert_eq!(got, names);
}

#[test]
fn no_half_written_file_is_ever_visible() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    // A recording that is still being written: export blocks on the pipe mid-game, and is killed there.
    let fifo = dir.path().join("live.ndjson");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let mut child = Command::new(BIN)
        .args(["export", arg(&fifo), "--out", arg(&out)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let text = recording(10, 2, 60, 60.0, 5.0);
    let half: String = text.lines().take(150).flat_map(|l| [l, "\n"]).collect();
    let mut pipe = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open fifo");
    std::io::Write::write_all(&mut pipe, half.as_bytes()).expect("write");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while all_files(&out).len() < TABLES.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "export never started its files"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    drop(pipe);
    assert!(visible_files(&out).is_empty(), "{:?}", visible_files(&out));

    // Output that cannot be written: one line, status 1, nothing left behind.
    let file = dir.path().join("g.ndjson");
    std::fs::write(&file, &text).expect("write");
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, "a file where the dataset folder should be").expect("write");
    let o = run(&["export", arg(&file), "--out", arg(&blocked)]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("bar-overlay: cannot create"), "{stderr}");

    // The same game again completes and replaces its files; the killed run's hidden files do not matter.
    let o = run(&["export", arg(&file), "--out", arg(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(visible_files(&out).len(), TABLES.len());
}

#[test]
fn nothing_to_export_is_one_line_and_status_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let o = run(&["export", "/nonexistent/x.ndjson", "--out", arg(&out)]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr.contains("/nonexistent/x.ndjson: no such file or folder"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bar-overlay: no recordings to export"),
        "{stderr}"
    );

    let notes = dir.path().join("notes.ndjson");
    std::fs::write(&notes, "hello world\nthis is not a recording\n").expect("write");
    let o = run(&["export", arg(&notes), "--out", arg(&out)]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no protocol v1 messages in 2 lines"),
        "{stderr}"
    );
    assert!(visible_files(&out).is_empty());

    // A pattern that the shell did not expand (quoted, or on Windows) is expanded by export.
    std::fs::write(
        dir.path().join("g1.ndjson"),
        recording(11, 2, 40, 30.0, 5.0),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("g2.ndjson"),
        recording(12, 2, 40, 30.0, 5.0),
    )
    .expect("write");
    let pattern = format!("{}/g*.ndjson", arg(dir.path()));
    let o = run(&["export", &pattern, "--out", arg(&out), "--jobs", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(visible_files(&out).len(), 2 * TABLES.len());
}

#[test]
fn decision_points_fill_the_commands_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = recording_at(Detail::Comprehensive, 13, 4, 150, 300.0, 2.0);
    let file = dir.path().join("orders.ndjson");
    std::fs::write(&file, &text).expect("write");
    let out = dir.path().join("out");
    let o = run(&["export", arg(&file), "--out", arg(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want = expected_rows(&text);
    assert!(want["commands"] > 100, "{want:?}");
    assert_eq!(parquet_rows(&out, "orders"), want);

    let rows = read_table(&out, "commands", "orders");
    let kind = |r: &BTreeMap<String, Field>| match &r["kind"] {
        Field::Str(s) => s.clone(),
        other => panic!("{other:?}"),
    };
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for r in &rows {
        *kinds.entry(kind(r)).or_default() += 1;
        match kind(r).as_str() {
            "command" => {
                assert!(matches!(r["cmd_id"], Field::Int(_)), "{r:?}");
                assert!(matches!(r["params"], Field::Str(_)), "{r:?}");
                if let Field::Int(id) = r["cmd_id"] {
                    // A build order names the type to build; a move or fight has a position.
                    if id < 0 {
                        assert_eq!(r["build_def_id"], Field::Int(-id), "{r:?}");
                        assert!(matches!(r["build_unit_name"], Field::Str(_)), "{r:?}");
                    } else {
                        assert!(matches!(r["target_x"], Field::Float(_)), "{r:?}");
                    }
                }
            }
            "build_started" => {
                assert!(matches!(r["builder_id"], Field::Int(_)), "{r:?}");
                assert!(matches!(r["build_unit_name"], Field::Str(_)), "{r:?}");
            }
            "factory_queue" => assert_eq!(r["count"], Field::Int(1), "{r:?}"),
            other => panic!("unexpected kind {other}"),
        }
    }
    assert_eq!(kinds.len(), 3, "every kind present: {kinds:?}");
}

#[test]
fn protocol_1_1_players_factions_and_hud_counters_are_exported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = |name: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    // The 1.1 golden hello and snapshot, then two players' status changes.
    let text =
        data("hello_v1_1.ndjson") + &data("snapshot_v1_1.ndjson") + &data("events_v1_1.ndjson");
    let file = dir.path().join("v11.ndjson");
    std::fs::write(&file, &text).expect("write");
    let out = dir.path().join("out");
    let o = run(&["export", arg(&file), "--out", arg(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(parquet_rows(&out, "v11"), expected_rows(&text));

    let players = read_table(&out, "players", "v11");
    let status: Vec<(String, String)> = players
        .iter()
        .map(|p| match (&p["name"], &p["status"]) {
            (Field::Str(n), Field::Str(s)) => (n.clone(), s.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        status.contains(&("Bob \"the builder\"".into(), "resigned".into())),
        "{status:?}"
    );
    assert!(
        status.contains(&("Zoë".into(), "disconnected".into())),
        "{status:?}"
    );
    assert!(
        status.contains(&("Alice".into(), "playing".into())),
        "{status:?}"
    );

    let teams = read_table(&out, "teams", "v11");
    assert_eq!(teams[0]["faction"], Field::Str("armada".into()));
    let seconds = read_table(&out, "team_seconds", "v11");
    assert_eq!(seconds[0]["units_killed"], Field::Int(3));
    assert_eq!(seconds[0]["metal_used"], Field::Double(408.0));
    assert_eq!(
        seconds[2]["units_killed"],
        Field::Null,
        "a team written as 1.0: absent, not zero"
    );
}
