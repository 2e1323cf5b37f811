//! `bar-overlay widget install|status|uninstall`, the real binary against made-up BAR folders: each Linux install
//! kind found from a fresh home, a BYAR.lua with other widgets' data, comments and awkward names, a copy installed
//! from BAR's catalog, a copy its user changed, and a stand-in `spring` process whose command line names a write
//! folder (found first, and blocking `--enable`). The Windows and macOS folders are unit tests of the same pure
//! function (src/install/locate.rs).
//!
//! The binary looks at every process of the user with the same home folder, so these tests run one at a time; an
//! engine started with another home (the real-engine tests, another user) is not theirs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::new(());

const WIDGET: &str = include_str!("../../widget/export_livedata.lua");

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    /// Makes a write folder as the engine leaves it after a first start.
    fn bar(&self, rel: &str) -> PathBuf {
        let d = self.path().join(rel);
        std::fs::create_dir_all(d.join("LuaUI/Config")).unwrap();
        std::fs::write(d.join("springsettings.cfg"), "XResolution = 1920\n").unwrap();
        d
    }
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_bar-overlay"))
            .args(args)
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join(".config"))
            .env_remove("XDG_STATE_HOME")
            .env_remove("SPRING_WRITEDIR")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn widgets(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walk(&dir.join("LuaUI/Widgets"));
    v.sort();
    v
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Ok(es) = std::fs::read_dir(d) {
        for e in es.flatten() {
            let p = e.path();
            if p.is_dir() {
                v.extend(walk(&p));
            } else {
                v.push(p);
            }
        }
    }
    v
}

/// BYAR.lua as BAR writes it, with other widgets' settings, a comment and awkward names.
const BYAR: &str = r#"-- Widget Custom data and order
return {
	allowUserWidgets = true,
	data = {
		["Ecostats"] = {
			showBars = true, -- a comment that must stay
		},
		["Zoë's \"HUD\" [v2]"] = { x = 0.5, ["a]] b"] = "}" },
	},
	order = {
		["AdvPlayersList"] = 12,
		["Zoë's \"HUD\" [v2]"] = 0,
		["Ecostats"] = 45,
	},
}
"#;

#[test]
fn each_linux_install_kind_is_found_from_a_fresh_home() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for rel in [
        ".local/state/Beyond All Reason",
        "Documents/Beyond All Reason",
        ".var/app/info.beyondallreason.bar/data",
        ".local/state/BeyondAllReason/data",
    ] {
        let home = Home::new();
        let bar = home.bar(rel);
        let o = home.run(&["widget", "install", "--enable"]);
        assert!(o.status.success(), "{rel}: {}", out(&o));
        assert_eq!(
            widgets(&bar),
            [bar.join("LuaUI/Widgets/export_livedata.lua")],
            "{rel}"
        );
        assert_eq!(
            std::fs::read_to_string(bar.join("LuaUI/Widgets/export_livedata.lua")).unwrap(),
            WIDGET
        );
        let o = home.run(&["widget", "status", "--port", "0"]);
        let text = out(&o);
        assert!(
            text.contains(&format!("BAR data folder: {}", bar.display())),
            "{rel}: {text}"
        );
        assert!(
            text.contains("ok    widget enabled in BAR"),
            "{rel}: {text}"
        );
        assert!(o.status.success(), "{rel}: {text}");
    }
}

#[test]
fn a_fresh_home_without_bar_gets_a_clear_error() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = Home::new();
    let o = home.run(&["widget", "install"]);
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("BAR's data folder was not found") && text.contains("--bar-dir"),
        "{text}"
    );
    let o = home.run(&["widget", "status"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("FAIL  BAR data folder not found"),
        "{}",
        out(&o)
    );
}

#[test]
fn several_folders_make_the_user_pick_and_the_pick_is_remembered() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = Home::new();
    let a = home.bar(".local/state/Beyond All Reason");
    let b = home.bar(".var/app/info.beyondallreason.bar/data");
    let o = home.run(&["widget", "install"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("several data folders") && text.contains(&b.display().to_string()),
        "{text}"
    );
    assert!(widgets(&a).is_empty() && widgets(&b).is_empty());
    let o = home.run(&["widget", "install", "--bar-dir", b.to_str().unwrap()]);
    assert!(o.status.success(), "{}", out(&o));
    // Remembered: the next run needs no --bar-dir.
    let o = home.run(&["widget", "status", "--port", "0"]);
    assert!(
        out(&o).contains(&format!("BAR data folder: {} (chosen before)", b.display())),
        "{}",
        out(&o)
    );
    assert!(widgets(&a).is_empty());
}

#[test]
fn enable_edits_only_the_order_table_and_keeps_a_backup() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = Home::new();
    let bar = home.bar(".local/state/Beyond All Reason");
    let byar = bar.join("LuaUI/Config/BYAR.lua");
    std::fs::write(&byar, BYAR).unwrap();
    let o = home.run(&["widget", "install", "--enable"]);
    assert!(o.status.success(), "{}", out(&o));
    let after = std::fs::read_to_string(&byar).unwrap();
    let added: Vec<&str> = after
        .lines()
        .filter(|l| !BYAR.lines().any(|o| o == *l))
        .collect();
    assert_eq!(added, ["\t\t[\"Live Data Export\"] = 46,"]);
    assert_eq!(
        after
            .lines()
            .filter(|l| !l.contains("Live Data Export"))
            .collect::<Vec<_>>(),
        BYAR.lines().collect::<Vec<_>>()
    );
    let backups: Vec<PathBuf> = walk(&bar.join("LuaUI/Config"))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read_to_string(&backups[0]).unwrap(), BYAR);
    // Again: nothing to do, nothing written.
    let o = home.run(&["widget", "install", "--enable"]);
    assert!(out(&o).contains("already enabled"), "{}", out(&o));
    assert_eq!(std::fs::read_to_string(&byar).unwrap(), after);
}

#[test]
fn user_widgets_turned_off_are_reported_never_flipped() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = Home::new();
    let bar = home.bar(".local/state/Beyond All Reason");
    let byar = bar.join("LuaUI/Config/BYAR.lua");
    std::fs::write(
        &byar,
        BYAR.replace("allowUserWidgets = true", "allowUserWidgets = false"),
    )
    .unwrap();
    let o = home.run(&["widget", "install", "--enable"]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        std::fs::read_to_string(&byar)
            .unwrap()
            .contains("allowUserWidgets = false")
    );
    let o = home.run(&["widget", "status", "--port", "0"]);
    assert!(
        out(&o).contains("FAIL  user widgets are turned off in BAR"),
        "{}",
        out(&o)
    );
}

#[test]
fn a_corrupt_byar_is_left_alone_with_a_clear_message() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = Home::new();
    let bar = home.bar(".local/state/Beyond All Reason");
    let byar = bar.join("LuaUI/Config/BYAR.lua");
    std::fs::write(&byar, "return { order = { [\"x\"] = 1, ").unwrap();
    let o = home.run(&["widget", "install", "--enable"]);
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    assert!(
        text.contains("was not changed") && text.contains("/luaui enablewidget Live Data Export"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(&byar).unwrap(),
        "return { order = { [\"x\"] = 1, "
    );
    // The widget itself was installed before the refusal.
    assert_eq!(widgets(&bar).len(), 1);
}

#[test]
fn an_existing_copy_is_updated_in_place_and_a_changed_one_backed_up() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = Home::new();
    let bar = home.bar(".local/state/Beyond All Reason");
    // A copy from BAR's widget catalog, an older version, untouched: updated where it is, no second copy.
    let catalog = bar.join("LuaUI/Widgets/live_data_export");
    std::fs::create_dir_all(&catalog).unwrap();
    std::fs::write(catalog.join("manifest.json"), "{}").unwrap();
    let old = WIDGET.replacen("WIDGET_VERSION    = \"", "WIDGET_VERSION    = \"0.", 1);
    std::fs::write(catalog.join("live_data_export.lua"), &old).unwrap();
    let other = bar.join("LuaUI/Widgets/other_widget.lua");
    std::fs::write(
        &other,
        "function widget:GetInfo() return { name = \"Other\" } end\n",
    )
    .unwrap();
    let o = home.run(&["widget", "status", "--port", "0"]);
    assert!(out(&o).contains("warn  widget 0."), "{}", out(&o));
    let o = home.run(&["widget", "install"]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("updated the widget from 0."),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains("your changed copy was kept as"),
        "an unknown text is the user's: {}",
        out(&o)
    );
    assert_eq!(
        std::fs::read_to_string(catalog.join("live_data_export.lua")).unwrap(),
        WIDGET
    );
    assert_eq!(
        std::fs::read_to_string(catalog.join("manifest.json")).unwrap(),
        "{}"
    );
    assert!(other.is_file());
    let lua: Vec<PathBuf> = widgets(&bar)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "lua"))
        .collect();
    assert_eq!(
        lua,
        [catalog.join("live_data_export.lua"), other.clone()],
        "backups must not end in .lua"
    );
    // Uninstall: ours deleted, everything else stays.
    let o = home.run(&["widget", "uninstall"]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(!catalog.join("live_data_export.lua").exists());
    assert!(other.is_file() && catalog.join("manifest.json").is_file());
}

#[test]
fn two_copies_are_reported_as_bars_duplicate_name_error() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = Home::new();
    let bar = home.bar(".local/state/Beyond All Reason");
    std::fs::create_dir_all(bar.join("LuaUI/Widgets/live_data_export")).unwrap();
    std::fs::write(bar.join("LuaUI/Widgets/export_livedata.lua"), WIDGET).unwrap();
    std::fs::write(
        bar.join("LuaUI/Widgets/live_data_export/live_data_export.lua"),
        WIDGET,
    )
    .unwrap();
    let o = home.run(&["widget", "status", "--port", "0"]);
    assert!(
        out(&o).contains("FAIL  2 copies of the widget"),
        "{}",
        out(&o)
    );
}

/// A stand-in for the engine: a process named `spring` whose command line names a write folder, as BAR's launcher
/// starts it. (`bash` copied under that name; `sleep; :` keeps bash from exec'ing sleep in its place.)
struct StandIn(Child);

impl StandIn {
    /// Started by the user whose home is `home`, as BAR's launcher would be.
    fn start(dir: &Path, write_dir: &Path, home: &Path) -> StandIn {
        let exe = dir.join("spring");
        std::fs::copy("/bin/bash", &exe).unwrap();
        let child = Command::new(&exe)
            .env("HOME", home)
            .args(["-c", "sleep 60; :", "spring", "--write-dir"])
            .arg(write_dir)
            .arg("script.txt")
            .spawn()
            .unwrap();
        StandIn(child)
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_running_engine_names_the_folder_and_blocks_enable() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = Home::new();
    // Two plausible folders; the running game's write folder (not a default one) settles it.
    home.bar(".local/state/Beyond All Reason");
    let live = home.bar("games/BAR data");
    std::fs::write(live.join("LuaUI/Config/BYAR.lua"), BYAR).unwrap();
    let bin = tempfile::tempdir().unwrap();
    let standin = StandIn::start(bin.path(), &live, home.path());
    let o = home.run(&["widget", "status", "--port", "0"]);
    let text = out(&o);
    assert!(
        text.contains(&format!(
            "BAR data folder: {} (where the running game writes)",
            live.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "info  BAR is running (process {})",
            standin.0.id()
        )),
        "{text}"
    );
    let o = home.run(&["widget", "install", "--enable"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("installed the widget"), "{text}");
    assert!(
        text.contains("BAR is running") && text.contains("press F11 and tick Live Data Export"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(live.join("LuaUI/Config/BYAR.lua")).unwrap(),
        BYAR
    );
    drop(standin);
    // Closed: now it may be edited.
    let o = home.run(&[
        "widget",
        "install",
        "--enable",
        "--bar-dir",
        live.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        std::fs::read_to_string(live.join("LuaUI/Config/BYAR.lua"))
            .unwrap()
            .contains("[\"Live Data Export\"] = 46")
    );
}

#[test]
fn springsettings_that_stop_the_widget_are_named_with_the_fix() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = Home::new();
    let bar = home.bar(".local/state/Beyond All Reason");
    std::fs::write(
        bar.join("springsettings.cfg"),
        "LuaSocketEnabled = 0\nTCPAllowConnect = 127.0.0.1:*\n",
    )
    .unwrap();
    // The port in use: something already listens where the widget connects.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let o = home.run(&["widget", "status", "--port", &port]);
    let text = out(&o);
    assert!(
        text.contains("FAIL  LuaSocket is off (LuaSocketEnabled = 0"),
        "{text}"
    );
    assert!(
        text.contains(&format!("write `TCPAllowConnect = 127.0.0.1:{port}`")),
        "{text}"
    );
    assert!(
        text.contains(&format!("127.0.0.1:{port} is taken")),
        "{text}"
    );
}
