//! Nothing clipped, for 1 to 16 players: at the window's default size every panel names every player inside the
//! window (queried through egui_kittest's accessibility tree, so a name scrolled or cut off out of view fails), and a
//! snapshot image of each case (tests/snapshots/players_N.png; refresh with `UPDATE_SNAPSHOTS=true` and look at them).

use bar_overlay::ui::app::{OverlayApp, Startup};
use bar_overlay::ui::settings::SettingsStore;
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotError};

/// The window's default inner size (src/ui/window.rs).
const SIZE: [f32; 2] = [440.0, 720.0];

/// A simulated game of `teams` players, `minutes` in, in the overlay at its default size.
fn overlay(dir: &tempfile::TempDir, teams: u32, minutes: f64) -> Harness<'static, OverlayApp> {
    let (store, settings) = SettingsStore::open(Some(dir.path().join("settings.toml")));
    let mut h = Harness::builder()
        .with_size(SIZE)
        .build_eframe(move |cc| OverlayApp::new(&cc.egui_ctx, store, settings, Startup::default()));
    let app = h.state_mut();
    bar_overlay::ui::demo::play(teams, teams * 150, minutes * 60.0, 11, |e| {
        app.handle_event(e)
    });
    h.run_steps(6);
    h
}

/// Every player's name appears once per panel (scoreboard, graph legend, army), each wholly inside the window.
fn every_name_visible(h: &Harness<'_, OverlayApp>, teams: u32) {
    let names: Vec<String> = h
        .state()
        .feed()
        .game()
        .teams
        .values()
        .map(|t| t.name.clone())
        .collect();
    assert_eq!(names.len(), teams as usize);
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, SIZE.into());
    for name in &names {
        let rects: Vec<egui::Rect> = h.query_all_by_label(name).map(|n| n.rect()).collect();
        assert!(
            rects.len() >= 3,
            "{teams} players: {name:?} is in {} panels, not 3 (scoreboard, legend, army)",
            rects.len()
        );
        for r in rects {
            assert!(
                window.contains_rect(r) && r.width() > 0.0,
                "{teams} players: {name:?} at {r:?} is not inside the {SIZE:?} window"
            );
        }
    }
}

fn check(teams: u32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = overlay(&dir, teams, 20.0);
    let name = format!("players_{teams}");
    match h.try_snapshot(&name) {
        Ok(()) => {}
        Err(SnapshotError::RenderError { err }) => panic!(
            "{name}: cannot render ({err}); without a GPU install a software Vulkan: `apt-get install mesa-vulkan-drivers`"
        ),
        Err(e) => panic!("{name}: {e}"),
    }
    every_name_visible(&h, teams);
}

#[test]
fn one_player() {
    check(1);
}

#[test]
fn two_players() {
    check(2);
}

#[test]
fn eight_players() {
    check(8);
}

#[test]
fn sixteen_players() {
    check(16);
}
