//! Snapshot images of the overlay from demo data, rendered by egui_kittest through wgpu. On a machine without a GPU
//! this needs a software Vulkan (Debian: mesa-vulkan-drivers, installed by scripts/ui-smoke and scripts/test).
//! The images live in tests/snapshots/; after an intended change of the look, refresh them with
//! `UPDATE_SNAPSHOTS=true cargo test --test integration ui_snapshots::` and look at the new PNGs before committing them.

use bar_overlay::ui::app::{OverlayApp, Startup};
use bar_overlay::ui::settings::{Background, SettingsStore};
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotError};

/// A 15-minute, 4-team simulated game, as the built-in demo plays it, with the given settings tweak.
fn demo_overlay(
    dir: &tempfile::TempDir,
    tweak: impl FnOnce(&mut OverlayApp),
) -> Harness<'static, OverlayApp> {
    let (store, settings) = SettingsStore::open(Some(dir.path().join("settings.toml")));
    let mut h = Harness::builder()
        .with_size([440.0, 900.0])
        .build_eframe(move |cc| OverlayApp::new(&cc.egui_ctx, store, settings, Startup::default()));
    let app = h.state_mut();
    bar_overlay::ui::demo::play(4, 800, 900.0, 7, |e| app.handle_event(e));
    tweak(app);
    h.run_steps(4);
    h
}

fn check(h: &mut Harness<'_, OverlayApp>, name: &str) {
    match h.try_snapshot(name) {
        Ok(()) => {}
        Err(SnapshotError::RenderError { err }) => panic!(
            "{name}: cannot render ({err}). The snapshots need a Vulkan driver; without a GPU install the software one: \
             `apt-get install mesa-vulkan-drivers` (scripts/ui-smoke does this)"
        ),
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn demo_overlay_transparent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = demo_overlay(&dir, |_| {});
    check(&mut h, "overlay_demo");
}

#[test]
fn demo_overlay_chroma_key_per_ally_team() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = demo_overlay(&dir, |app| {
        let s = app.settings_mut();
        s.background = Background::ChromaKey;
        s.grouping = bar_overlay::ui::settings::Grouping::AllyTeam;
        s.time_window = bar_overlay::ui::settings::TimeWindow::FiveMinutes;
    });
    check(&mut h, "overlay_chroma_ally");
}

#[test]
fn settings_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = demo_overlay(&dir, |app| app.show_settings(true));
    // The widget line is what this machine's BAR looks like: wait for the check, then hide the line.
    for _ in 0..250 {
        if h.query_by_label("Looking for BAR...").is_none() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.run_steps(1);
    }
    h.run_steps(2);
    let (top, bottom) = (
        h.get_by_label("BAR widget").rect().bottom(),
        h.get_by_label("Install or update widget").rect().top(),
    );
    h.mask(egui::Rect::from_x_y_ranges(0.0..=440.0, top..=bottom));
    // The settings path is a fresh temporary directory each run: hide it from the comparison.
    let path = h.get_by_label_contains("Saved in").rect();
    // The whole row: the masked area must not depend on the path's length either.
    h.mask(egui::Rect::from_x_y_ranges(0.0..=440.0, path.y_range()));
    check(&mut h, "overlay_settings");
}
