//! The overlay UI built from a scripted model, queried and clicked through egui_kittest's accessibility tree (no GPU
//! needed): team names and values shown, settings toggles change and save the config, a bind error is shown.

use bar_overlay::protocol::{self, Parsed};
use bar_overlay::receiver::ReceiverEvent;
use bar_overlay::senders::Speed;
use bar_overlay::ui::app::{Feeder, OverlayApp, Startup};
use bar_overlay::ui::settings::{Grouping, SettingsStore};
use bar_overlay::ui::theme;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};

fn harness_with(config: &Path, startup: Startup) -> Harness<'static, OverlayApp> {
    let (store, settings) = SettingsStore::open(Some(config.to_path_buf()));
    Harness::builder()
        .with_size([440.0, 1000.0])
        .build_eframe(move |cc| OverlayApp::new(&cc.egui_ctx, store, settings, startup))
}

fn harness(dir: &tempfile::TempDir) -> Harness<'static, OverlayApp> {
    harness_with(&config_path(dir), Startup::default())
}

fn config_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("settings.toml")
}

/// A few frames: enough for layout and clicks to settle. (`run()` would wait for the one timed repaint, the moment
/// a live feed turns stale, which is the point of it.)
fn frames(h: &mut Harness<'_, OverlayApp>) {
    h.run_steps(4);
}

/// The golden files of the protocol, through the same Feed as live data.
fn feed_golden(h: &mut Harness<'_, OverlayApp>, files: &[&str]) {
    let app = h.state_mut();
    app.handle_event(ReceiverEvent::Connected {
        conn: 1,
        peer: "127.0.0.1:50000".parse().expect("addr"),
    });
    for f in files {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(f);
        let text = std::fs::read_to_string(&path).expect("golden file");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(Parsed::Message { msg, .. }) = protocol::parse_line(line.as_bytes()) else {
                panic!("{f}: not a message: {line}");
            };
            app.handle_event(ReceiverEvent::Message {
                conn: 1,
                msg: Box::new(msg),
                bytes: line.len(),
                unknown_fields: 0,
                raw: None,
            });
        }
    }
}

fn shown(h: &Harness<'_, OverlayApp>, text: &str) -> bool {
    h.query_all_by_label(text).next().is_some()
}

#[test]
fn golden_game_shows_names_values_and_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    feed_golden(&mut h, &["hello.ndjson", "snapshot_full.ndjson"]);
    frames(&mut h);
    let game = h.state().feed().game().clone();
    assert!(!game.teams.is_empty());
    for t in game.teams.values() {
        assert!(shown(&h, &t.name), "team name {:?} not shown", t.name);
        let army = theme::amount(t.army.army_value());
        assert!(shown(&h, &army), "{}'s army value {army} not shown", t.name);
        if let Some(m) = t.metal {
            let inc = theme::income(m.income);
            assert!(shown(&h, &inc), "{}'s metal income {inc} not shown", t.name);
        }
    }
    assert!(
        shown(&h, "Side 1") && shown(&h, "Side 2"),
        "both sides side by side"
    );
    assert!(shown(&h, "LIVE"), "a game that just sent data is live");
    assert!(shown(&h, "Spectator: full view"));
    // The top unit types of some team are listed with counts.
    let top = game
        .teams
        .values()
        .flat_map(|t| t.army.top_army(&game.defs, 1))
        .next()
        .expect("the golden snapshot has army units");
    let name = &game.def(top.def_id).expect("def").human_name;
    assert!(
        h.query_all_by_label_contains(&format!("{}× {name}", top.count))
            .next()
            .is_some(),
        "top unit {name} with its count"
    );
}

/// BAR's anonymous mode (hello 1.4): the window says the game is anonymous and names no player, even though a
/// spectator's widget sends the names BAR shows it.
#[test]
fn an_anonymous_game_shows_anonymous_teams_and_no_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    feed_golden(&mut h, &["hello_anonymous.ndjson", "snapshot_v1_1.ndjson"]);
    frames(&mut h);
    assert!(shown(&h, "Anonymous game: players are not named"));
    for name in [
        "Anonymous 1",
        "Anonymous 2",
        "Anonymous 4",
        "BARbarianAI(3)",
    ] {
        assert!(shown(&h, name), "{name} not shown");
    }
    for name in ["Alice", "Zoë", "Carl"] {
        assert!(
            h.query_all_by_label_contains(name).next().is_none(),
            "{name} shown in an anonymous game"
        );
    }
}

#[test]
fn waiting_then_simulated_game_fills_every_panel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    frames(&mut h);
    // Before any game: the welcome card, not empty panels.
    assert!(shown(&h, "Welcome to BAR Live"));
    assert!(!shown(&h, "No teams yet"));
    let mut events = Vec::new();
    bar_overlay::ui::demo::play(4, 300, 240.0, 5, |e| events.push(e));
    for e in events {
        h.state_mut().handle_event(e);
    }
    frames(&mut h);
    assert!(!shown(&h, "No teams yet"));
    assert!(!shown(&h, "Welcome to BAR Live"));
    for title in ["Metal income", "Energy income", "Army value"] {
        assert!(shown(&h, title), "graph {title}");
    }
    assert!(shown(&h, "4:00"), "the game clock");
    assert!(h.query_all_by_label("Com alive").count() >= 1);
}

#[test]
fn settings_toggles_change_and_save_the_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    feed_golden(&mut h, &["hello.ndjson", "snapshot_full.ndjson"]);
    frames(&mut h);
    assert!(shown(&h, "Side 1"));

    h.get_by_label("Settings").click();
    frames(&mut h);
    h.get_by_label("Scoreboard").click();
    frames(&mut h);
    assert!(!h.state().settings().panels.scoreboard);
    assert!(!shown(&h, "Side 1"), "the scoreboard is hidden");
    let saved = std::fs::read_to_string(config_path(&dir)).expect("settings saved");
    assert!(saved.contains("scoreboard = false"), "{saved}");

    h.get_by_label("Per ally team").click();
    frames(&mut h);
    assert_eq!(h.state().settings().grouping, Grouping::AllyTeam);
    assert!(
        h.query_all_by_label_contains("Side 1 (").next().is_some(),
        "graph legend names the sides"
    );

    // Click-through goes to the window as a viewport command, and closes the settings it would make unreachable.
    h.get_by_label("Click-through (mouse goes to the game)")
        .click();
    let mut sent = false;
    for _ in 0..4 {
        h.step();
        sent |= h.output().viewport_output[&egui::ViewportId::ROOT]
            .commands
            .contains(&egui::ViewportCommand::MousePassthrough(true));
    }
    assert!(h.state().settings().click_through);
    assert!(sent, "MousePassthrough(true) sent to the window");
    assert!(
        h.query_by_label("Graph window").is_none(),
        "settings closed"
    );

    // And everything survives a restart.
    let reloaded = SettingsStore::open(Some(config_path(&dir))).1;
    assert_eq!(&reloaded, h.state().settings());
}

#[test]
fn a_port_in_use_is_shown_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let mut h = harness_with(
        &config_path(&dir),
        Startup {
            listen: true,
            port_override: Some(port),
            web_port: Some(0),
            ..Startup::default()
        },
    );
    frames(&mut h);
    assert!(shown(&h, "NOT LISTENING"));
    assert!(
        h.query_all_by_label_contains("already in use")
            .next()
            .is_some(),
        "the bind error is on screen"
    );

    // Rebinding live from the settings to a free port recovers.
    drop(taken);
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let free_port = free.local_addr().expect("addr").port();
    drop(free);
    h.state_mut().settings_mut().port = free_port;
    h.get_by_label("Settings").click();
    frames(&mut h);
    h.get_by_label("Listen").click();
    frames(&mut h);
    assert!(shown(&h, "WAITING FOR GAME"), "listening again");
    assert!(std::net::TcpStream::connect(("127.0.0.1", free_port)).is_ok());
}

#[test]
fn a_corrupt_settings_file_is_moved_aside_with_a_visible_notice() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(config_path(&dir), "this is = = not toml [[").expect("write");
    let mut h = harness(&dir);
    frames(&mut h);
    assert!(
        h.query_all_by_label_contains("moved to").next().is_some(),
        "notice shown"
    );
    h.get_by_label("OK").click();
    frames(&mut h);
    assert!(h.query_all_by_label_contains("moved to").next().is_none());
}

/// Without a tray (GNOME), click-through must not trap the user: focusing the overlay (Alt+Tab) turns it off.
#[test]
fn focusing_the_overlay_turns_click_through_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    let set_focus = |h: &mut Harness<'_, OverlayApp>, focused: bool| {
        h.input_mut()
            .viewports
            .entry(egui::ViewportId::ROOT)
            .or_default()
            .focused = Some(focused);
    };
    set_focus(&mut h, true);
    frames(&mut h);
    h.state_mut().settings_mut().click_through = true;
    frames(&mut h);
    // The game takes focus; the focus the overlay had when click-through went on does not count.
    set_focus(&mut h, false);
    frames(&mut h);
    assert!(
        h.state().settings().click_through,
        "still on while the game has focus"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    frames(&mut h);
    assert!(h.state().settings().click_through);
    // Alt+Tab to the overlay.
    set_focus(&mut h, true);
    frames(&mut h);
    assert!(
        !h.state().settings().click_through,
        "focus turned click-through off"
    );
    let saved = std::fs::read_to_string(config_path(&dir)).expect("settings saved");
    assert!(saved.contains("click_through = false"), "{saved}");
}

/// Idle costs nothing: with no data and no input no frame asks for another; with a live feed the only scheduled
/// frame is the moment it would turn stale (seconds away), not a render loop.
#[test]
fn idle_frames_schedule_no_repaint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    h.run_steps(10);
    let delay = |h: &Harness<'_, OverlayApp>| {
        h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay
    };
    assert_eq!(
        delay(&h),
        std::time::Duration::MAX,
        "waiting with nothing to do"
    );
    feed_golden(&mut h, &["hello.ndjson", "snapshot_full.ndjson"]);
    h.run_steps(10);
    let d = delay(&h);
    assert!(
        d > std::time::Duration::from_secs(1) && d <= std::time::Duration::from_secs(3),
        "live: one repaint when it would turn stale, got {d:?}"
    );
}

/// `--relay-port`: the window passes the game on to other programs on 127.0.0.1; a busy relay port is shown, not fatal.
#[test]
fn relay_port_is_served_and_its_errors_shown() {
    let free_port = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = free_port();
    let mut h = harness_with(
        &config_path(&dir),
        Startup {
            listen: true,
            port_override: Some(free_port()),
            relay_port: Some(relay),
            web_port: Some(0),
            ..Startup::default()
        },
    );
    frames(&mut h);
    assert!(shown(&h, "WAITING FOR GAME"));
    assert!(shown(
        &h,
        &format!("Relaying to programs on 127.0.0.1:{relay}")
    ));
    assert!(std::net::TcpStream::connect(("127.0.0.1", relay)).is_ok());
    drop(h);

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy = taken.local_addr().expect("addr").port();
    let mut h = harness_with(
        &config_path(&dir),
        Startup {
            listen: true,
            port_override: Some(free_port()),
            relay_port: Some(busy),
            web_port: Some(0),
            ..Startup::default()
        },
    );
    frames(&mut h);
    assert!(shown(&h, "NOT LISTENING"));
    assert!(
        h.query_all_by_label_contains("relay port").next().is_some(),
        "the relay error is on screen"
    );
}

/// The window serves the web pages from the same model it draws, delayed alike: `--delay` shows `DELAYED` in the
/// window and holds what `/api/state` serves.
#[test]
fn the_window_serves_the_pages_from_its_model_and_delays_both() {
    let free_port = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let web = free_port();
    let mut h = harness_with(
        &config_path(&dir),
        Startup {
            listen: true,
            port_override: Some(free_port()),
            web_port: Some(web),
            delay: Some(120),
            ..Startup::default()
        },
    );
    frames(&mut h);
    assert!(shown(&h, &format!("Web pages on http://127.0.0.1:{web}/")));
    assert!(shown(&h, "DELAYED 2:00"));
    feed_golden(&mut h, &["hello.ndjson", "snapshot_full.ndjson"]);
    frames(&mut h);
    assert!(
        h.state().feed().game().seconds > 0.0,
        "the live game moved on"
    );
    let get = |path: &str| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", web)).expect("connect");
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        out
    };
    let state = get("/api/state");
    assert!(state.starts_with("HTTP/1.1 200"), "{state}");
    assert!(
        state.contains(r#""game_seconds":0.0"#),
        "the pages are held back too: {state}"
    );
    assert!(state.contains(r#""delay_label":"DELAYED 2:00""#), "{state}");
    // Back to live from the settings: the window and the pages show the game at once.
    h.state_mut().settings_mut().delay_secs = 0;
    frames(&mut h);
    let state = get("/api/state");
    assert!(
        !state.contains(r#""game_seconds":0.0"#),
        "live again: {state}"
    );
    assert!(!shown(&h, "DELAYED 2:00"));
}

/// Broadcast names (protocol 1.1 cards aside): a player and a side renamed in the settings show under their new
/// names in the scoreboard, are saved with the settings, and the pages get them too.
#[test]
fn broadcast_names_rename_players_and_sides_and_are_saved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    feed_golden(&mut h, &["hello_v1_1.ndjson", "snapshot_v1_1.ndjson"]);
    frames(&mut h);
    assert!(shown(&h, "Alice") && shown(&h, "Side 2"));
    // The player card: country label and rating beside the name.
    assert!(shown(&h, "DE"), "country label");
    assert!(shown(&h, "32"), "rating");
    h.get_by_label("Settings").click();
    frames(&mut h);
    h.get_by_label("Alice:").click();
    frames(&mut h);
    h.get_by_label("Alice:").type_text("Alice [TL]");
    frames(&mut h);
    h.get_by_label("Side 2:").click();
    frames(&mut h);
    h.get_by_label("Side 2:").type_text("Team Liquid");
    frames(&mut h);
    let names = h.state().settings().names.clone();
    assert_eq!(names.player("Alice"), "Alice [TL]");
    assert_eq!(names.side(1), "Team Liquid");
    h.state_mut().show_settings(false);
    frames(&mut h);
    assert!(shown(&h, "Alice [TL]"), "renamed in the scoreboard");
    assert!(shown(&h, "Team Liquid"), "side renamed");
    assert!(!shown(&h, "Side 2"));
    let saved = std::fs::read_to_string(config_path(&dir)).expect("settings saved");
    assert!(
        saved.contains("Alice [TL]") && saved.contains("Team Liquid"),
        "{saved}"
    );
}

/// The production panel (protocol 1.1), off by default: turned on in the settings it lists each team's factories
/// with the unit in progress, the constructions and the idle builders, from the golden snapshot.
#[test]
fn production_panel_lists_factories_constructions_and_idle_builders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    feed_golden(&mut h, &["hello_v1_1.ndjson", "snapshot_v1_1.ndjson"]);
    frames(&mut h);
    assert!(!h.state().settings().panels.production);
    assert!(!shown(&h, "Bot Lab: Pawn"));
    h.get_by_label("Settings").click();
    frames(&mut h);
    h.get_by_label("Production").click();
    frames(&mut h);
    h.state_mut().show_settings(false);
    frames(&mut h);
    // Bob's lab builds a Pawn, 35 %, three more queued; Alice's commander builds a lab, half done.
    assert!(shown(&h, "Bot Lab: Pawn"), "a factory and its unit");
    assert!(shown(&h, "35% +3"));
    assert!(shown(&h, "Bot Lab") && shown(&h, "50%"), "a construction");
    assert!(shown(&h, "2 idle") && shown(&h, "0 idle"));
    assert!(
        shown(&h, "nothing in production"),
        "Zoë's team: an empty production"
    );
    let saved = std::fs::read_to_string(config_path(&dir)).expect("settings saved");
    assert!(saved.contains("production = true"), "{saved}");
}

/// The window's replay feeder sends the token setting in its hellos, in place of the recording's own: a replay into a
/// token-protected window gets in (the recording here carries another token, "blue-otter-42").
#[test]
fn a_replay_into_a_token_protected_window_gets_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = dir.path().join("game.ndjson");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut text = String::new();
    for f in ["hello_token.ndjson", "snapshot_full.ndjson"] {
        text.push_str(&std::fs::read_to_string(data.join(f)).expect("golden file"));
    }
    std::fs::write(&rec, text).expect("write recording");
    let config = config_path(&dir);
    let (mut store, mut settings) = SettingsStore::open(Some(config.clone()));
    settings.token = "red-fox".into();
    store.save(&settings);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut h = harness_with(
        &config,
        Startup {
            listen: true,
            port_override: Some(port),
            web_port: Some(0),
            feeder: Some(Feeder::Replay(rec, Speed::Max)),
            ..Startup::default()
        },
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while h.state().feed().game().teams.is_empty() && std::time::Instant::now() < deadline {
        frames(&mut h);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        !h.state().feed().game().teams.is_empty(),
        "the replay reached the model"
    );
}

/// `--delay` is for this run only, like `--port`: the slider shows it, a save for another change keeps the saved
/// delay, and moving the slider makes its value the setting (saved).
#[test]
fn delay_from_the_command_line_is_not_saved_until_the_slider_moves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_path(&dir);
    let (mut store, mut settings) = SettingsStore::open(Some(config.clone()));
    settings.delay_secs = 30;
    store.save(&settings);
    let mut h = harness_with(
        &config,
        Startup {
            delay: Some(120),
            ..Startup::default()
        },
    );
    frames(&mut h);
    assert_eq!(h.state().settings().delay_secs, 120, "the slider shows it");
    assert!(shown(&h, "DELAYED 2:00"));
    let reloaded = || SettingsStore::open(Some(config.clone())).1;
    // Another setting changed: saved, with the saved delay.
    h.state_mut().settings_mut().panels.scoreboard = false;
    frames(&mut h);
    let saved = reloaded();
    assert!(!saved.panels.scoreboard, "the other change is saved");
    assert_eq!(saved.delay_secs, 30, "--delay is not saved");
    assert!(shown(&h, "DELAYED 2:00"), "and still applies this run");
    // The slider moved: its value is saved.
    h.state_mut().settings_mut().delay_secs = 90;
    frames(&mut h);
    assert_eq!(reloaded().delay_secs, 90, "the slider's value is saved");
    assert!(shown(&h, "DELAYED 1:30"));
    // Back to 120 by hand: saved too (the command line no longer speaks for it).
    h.state_mut().settings_mut().delay_secs = 120;
    frames(&mut h);
    assert_eq!(reloaded().delay_secs, 120);
}

/// The welcome card's demo button plays the built-in game into the window's own listener.
#[test]
fn try_the_demo_from_the_welcome_card_fills_the_panels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness_with(
        &config_path(&dir),
        Startup {
            listen: true,
            port_override: Some(0),
            web_port: Some(0),
            ..Startup::default()
        },
    );
    frames(&mut h);
    assert!(shown(&h, "Welcome to BAR Live"));
    h.get_by_label("Try the demo").click();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while h.state().feed().game().teams.is_empty() && std::time::Instant::now() < deadline {
        frames(&mut h);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    frames(&mut h);
    assert!(
        !h.state().feed().game().teams.is_empty(),
        "the demo reached the model"
    );
    assert!(!shown(&h, "Welcome to BAR Live"));
    assert!(shown(&h, "Army value"));
}

/// A hello from a widget older than the one inside the binary asks for an update; the current one does not.
#[test]
fn an_older_widget_gets_an_update_banner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    feed_golden(&mut h, &["hello.ndjson", "snapshot_full.ndjson"]);
    frames(&mut h);
    assert!(shown(&h, "Update widget"), "hello.ndjson says 1.0.0");
    assert!(
        h.query_all_by_label_contains("The widget in BAR is 1.0.0")
            .next()
            .is_some()
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    let current = bar_overlay::install::copies::bundled_version();
    let hello = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hello.ndjson"),
    )
    .expect("golden")
    .replace(
        "\"version\":\"1.0.0\"",
        &format!("\"version\":\"{current}\""),
    );
    let Ok(Parsed::Message { msg, .. }) = protocol::parse_line(hello.trim().as_bytes()) else {
        panic!("hello")
    };
    let app = h.state_mut();
    app.handle_event(ReceiverEvent::Connected {
        conn: 1,
        peer: "127.0.0.1:50000".parse().expect("addr"),
    });
    app.handle_event(ReceiverEvent::Message {
        conn: 1,
        msg: Box::new(msg),
        bytes: hello.len(),
        unknown_fields: 0,
        raw: None,
    });
    frames(&mut h);
    assert!(!shown(&h, "Update widget"));
}

/// Once a game is over the title bar offers its report (the page is made on a thread of its own, so a few frames
/// pass first); before that there is no button.
#[test]
fn a_finished_game_offers_its_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    feed_golden(&mut h, &["hello.ndjson", "snapshot_full.ndjson"]);
    frames(&mut h);
    assert!(!shown(&h, "Report"), "no report while the game runs");
    feed_golden(&mut h, &["events.ndjson"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !shown(&h, "Report") {
        assert!(
            std::time::Instant::now() < deadline,
            "no Report button after the game ended"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        frames(&mut h);
    }
}

/// The settings window carries the widget's state and its Install and Remove buttons (not clicked here: they act on
/// this machine's real BAR folder).
#[test]
fn settings_show_the_widget_with_install_and_remove() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    h.state_mut().show_settings(true);
    frames(&mut h);
    assert!(shown(&h, "BAR widget"));
    assert!(shown(&h, "Install or update widget"));
    assert!(shown(&h, "Remove widget"));
    // The checks run on their own thread; their one line replaces "Looking for BAR...".
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while shown(&h, "Looking for BAR...") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        frames(&mut h);
    }
    assert!(
        h.query_all_by_label_contains("BAR's data folder was not found")
            .next()
            .is_some()
            || h.query_all_by_label_contains("Widget ").next().is_some(),
        "the widget's line"
    );
}
