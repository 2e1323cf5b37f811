//! Resource graphs: metal income, energy income and army value over game time, one line per team or per ally team,
//! in team colors with a legend of names, over the last 5 or 15 minutes or the whole game.
//!
//! The model keeps up to 4096 points per series; 16 teams x 3 graphs of that is ~200k points, ~12 ms a frame in
//! egui_plot. A plot a few hundred pixels wide cannot show more than a few hundred x positions, so lines are reduced
//! to a min/max pair per bucket (peaks survive) into a cache rebuilt only when the model gains a sample (once per
//! game second) or the view settings change. Each frame then borrows the cache (`PlotPoints::Borrowed`).
//!
//! Then every point the plot cannot show is dropped, in one pass: one within half a pixel of the straight line its
//! neighbours draw anyway (flat stretches, steady growth). Each point is three or four triangles to tessellate,
//! upload and rasterize every frame, and with software GL (llvmpipe) the driver keeps room for a frame's triangles:
//! 16 teams' lines at 400 points each held ~20 MB of it.

use crate::model::{Game, Names, Sample, Series, Team, TeamSeries};
use crate::ui::settings::{Grouping, TimeWindow};
use crate::ui::theme;
use egui::{Color32, RichText};
use egui_plot::{Line, Plot, PlotPoint, PlotPoints};

/// Buckets per line: two points each, about one point per pixel column of a plot 400 px wide.
const BUCKETS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    MetalIncome,
    EnergyIncome,
    ArmyValue,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::MetalIncome, Metric::EnergyIncome, Metric::ArmyValue];
    pub fn title(self) -> &'static str {
        match self {
            Metric::MetalIncome => "Metal income",
            Metric::EnergyIncome => "Energy income",
            Metric::ArmyValue => "Army value",
        }
    }
    fn series(self, s: &TeamSeries) -> &Series {
        match self {
            Metric::MetalIncome => &s.metal_income,
            Metric::EnergyIncome => &s.energy_income,
            Metric::ArmyValue => &s.army_value,
        }
    }
}

pub struct CachedLine {
    pub name: String,
    pub color: Color32,
    pub points: [Vec<PlotPoint>; 3],
}

/// What the cache was built from; any change rebuilds it.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    /// Broadcast names change the legend.
    names: Names,
    samples: u64,
    second: i64,
    teams: usize,
    grouping: Grouping,
    window: TimeWindow,
    new_games: u64,
    /// Plot height in whole points: what half a pixel is worth in values.
    height: u32,
}

#[derive(Default)]
pub struct GraphCache {
    key: Option<Key>,
    lines: Vec<CachedLine>,
    x_range: (f64, f64),
}

impl GraphCache {
    pub fn lines(&self) -> &[CachedLine] {
        &self.lines
    }

    /// Rebuilds when the game gained a sample or the view changed (`plot_height`: of each plot, in points). Cheap to
    /// call every frame.
    pub fn update(
        &mut self,
        game: &Game,
        names: &Names,
        new_games: u64,
        grouping: Grouping,
        window: TimeWindow,
        plot_height: f32,
    ) {
        let key = Key {
            names: names.clone(),
            samples: game
                .teams
                .values()
                .map(|t| t.stats.samples)
                .max()
                .unwrap_or(0),
            second: game.seconds.floor() as i64,
            teams: game.teams.len(),
            grouping,
            window,
            new_games,
            height: plot_height.max(1.0).round() as u32,
        };
        if self.key.as_ref() == Some(&key) {
            return;
        }
        let height = f64::from(key.height);
        self.key = Some(key);
        let to = game.seconds.max(1.0);
        let from = window.seconds().map_or(0.0, |w| (to - w).max(0.0));
        self.x_range = (from, to);
        self.lines.clear();
        match grouping {
            Grouping::Team => {
                for teams in game.ally_teams().values() {
                    for t in teams {
                        self.lines.push(CachedLine {
                            name: names.team(t).to_owned(),
                            color: theme::team_color(t.color),
                            points: Metric::ALL
                                .map(|m| reduce(m.series(&t.series).since(from), from, to)),
                        });
                    }
                }
            }
            Grouping::AllyTeam => {
                for (ally, teams) in game.ally_teams() {
                    let color = teams
                        .first()
                        .map_or(Color32::GRAY, |t| theme::team_color(t.color));
                    self.lines.push(CachedLine {
                        name: side_name(names, ally, &teams),
                        color,
                        points: Metric::ALL.map(|m| {
                            let summed = sum_series(&teams, m, from);
                            reduce(&summed, from, to)
                        }),
                    });
                }
            }
        }
        for m in 0..Metric::ALL.len() {
            // The plot spans 0 to the highest value of any line (egui_plot's bounds, less its small margin).
            let (lo, hi) = self
                .lines
                .iter()
                .flat_map(|l| &l.points[m])
                .fold((0.0f64, 0.0f64), |(lo, hi), p| (lo.min(p.y), hi.max(p.y)));
            let tolerance = (hi - lo) / height * SHOWN_ERROR_PX;
            for l in &mut self.lines {
                l.points[m] = simplify(&l.points[m], tolerance);
            }
        }
    }
}

/// How far (in points, about pixels) a dropped point may lie from the line drawn without it.
const SHOWN_ERROR_PX: f64 = 0.5;

/// `points` without those within `tolerance` (vertically, as a graph over time is read) of the line drawn between
/// the points kept around them. One pass: a point is dropped while every point since the last kept one lies within
/// the tolerance of the line from that one to the next point, and at most `MAX_RUN` in a row, so the pass costs a
/// few comparisons a point (a rebuild runs once a game second, over every line). Peaks, the first and the last point
/// always stay.
pub fn simplify(points: &[PlotPoint], tolerance: f64) -> Vec<PlotPoint> {
    const MAX_RUN: usize = 32;
    let n = points.len();
    if n <= 2 || tolerance.is_nan() || tolerance <= 0.0 {
        return points.to_vec();
    }
    let off = |p: PlotPoint, a: PlotPoint, b: PlotPoint| {
        let y = if b.x > a.x {
            a.y + (b.y - a.y) * (p.x - a.x) / (b.x - a.x)
        } else {
            a.y
        };
        (p.y - y).abs()
    };
    let mut out = Vec::with_capacity(n);
    out.push(points[0]);
    let mut anchor = 0;
    for i in 1..n - 1 {
        let (a, b) = (points[anchor], points[i + 1]);
        let droppable = i - anchor < MAX_RUN
            && points[anchor + 1..=i]
                .iter()
                .all(|&p| off(p, a, b) <= tolerance);
        if !droppable {
            // The points since the anchor were checked against the line to this one in the step before.
            out.push(points[i]);
            anchor = i;
        }
    }
    out.push(points[n - 1]);
    out
}

/// "Side 1 (Alice, Bob)", shortened for big teams (or the side's broadcast name).
fn side_name(names: &Names, ally: u32, teams: &[&Team]) -> String {
    let players: Vec<&str> = teams.iter().take(3).map(|t| names.team(t)).collect();
    let more = if teams.len() > 3 { ", …" } else { "" };
    format!("{} ({}{more})", names.side(ally), players.join(", "))
}

/// The sum over teams at each time the first team has a sample. Teams are sampled together (same seconds, same
/// thinning), so times match exactly; a team without a value at some time (economy hidden) adds nothing there.
fn sum_series(teams: &[&Team], m: Metric, from: f64) -> Vec<PlotPoint> {
    let Some(base) = teams
        .iter()
        .map(|t| m.series(&t.series).since(from))
        .max_by_key(|s| s.len())
    else {
        return Vec::new();
    };
    let others: Vec<&[Sample]> = teams
        .iter()
        .map(|t| m.series(&t.series).since(from))
        .collect();
    let mut cursors = vec![0usize; others.len()];
    base.iter()
        .map(|p| {
            let mut y = 0.0;
            for (s, c) in others.iter().zip(cursors.iter_mut()) {
                while *c < s.len() && s[*c].x < p.x {
                    *c += 1;
                }
                if *c < s.len() && s[*c].x == p.x {
                    y += f64::from(s[*c].y);
                }
            }
            PlotPoint::new(p.x, y)
        })
        .collect()
}

/// Keeps the min and the max of each of `BUCKETS` time buckets (see [`crate::model::reduce`]).
pub fn reduce<P: Copy + Into<PlotPoint>>(points: &[P], from: f64, to: f64) -> Vec<PlotPoint> {
    crate::model::reduce(points, from, to, BUCKETS)
}

/// The three graphs, each `plot_height` tall (the app sizes them to the room left in the window). Titles sit inside
/// the plots and only the last one shows the time axis (they share it), so the graphs take little more than their
/// plots' height.
pub fn show(ui: &mut egui::Ui, cache: &GraphCache, window: TimeWindow, plot_height: f32) {
    if cache.lines.is_empty() {
        ui.label(RichText::new("Graphs appear once the game sends data").color(theme::DIM));
        return;
    }
    // One legend for all three graphs: names in their line colors, readable without hovering.
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 8.0;
        for l in &cache.lines {
            legend_item(ui, &l.name, l.color);
        }
        ui.label(RichText::new(window.label()).color(theme::DIM));
    });
    let (from, to) = cache.x_range;
    let link = ui.scope_id().with("graphs_x");
    let last = Metric::ALL.len() - 1;
    for (i, m) in Metric::ALL.iter().enumerate() {
        let axis = i == last;
        let plot = Plot::new(("graph", i))
            // The time axis below the last plot adds its labels' height.
            .height(plot_height + if axis { X_AXIS_HEIGHT } else { 0.0 })
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .allow_double_click_reset(false)
            .show_background(false)
            .show_x(false)
            .show_y(false)
            .show_axes([axis, true])
            .include_x(from)
            .include_x(to)
            .include_y(0.0)
            .link_axis(link, [true, false])
            .y_axis_min_width(28.0)
            .x_grid_spacer(minute_marks)
            .y_grid_spacer(value_marks)
            .x_axis_formatter(|mark, _| theme::clock(mark.value))
            .y_axis_formatter(|mark, _| scale_label(mark.value, mark.step_size))
            .show(ui, |plot| {
                for l in &cache.lines {
                    let pts = &l.points[i];
                    if pts.is_empty() {
                        continue;
                    }
                    plot.line(
                        Line::new(l.name.as_str(), PlotPoints::Borrowed(pts))
                            .color(l.color)
                            .width(1.5)
                            .allow_hover(false),
                    );
                }
            });
        // The title in the plot's top-left corner, right of the value axis; a label, so it is in the accessibility
        // tree like every other text. A child ui takes no room from the layout.
        let at = plot.response.rect.left_top() + egui::vec2(34.0, 0.0);
        let mut title = ui.new_child(
            egui::UiBuilder::new().max_rect(egui::Rect::from_min_size(at, egui::vec2(200.0, 16.0))),
        );
        // On a dark chip: the lines run under it.
        egui::Frame::new()
            .fill(Color32::from_black_alpha(150))
            .corner_radius(3.0)
            .inner_margin(egui::Margin::symmetric(3, 0))
            .show(&mut title, |ui| {
                ui.label(RichText::new(m.title()).color(theme::DIM).small())
            });
        if !axis {
            ui.add_space(2.0);
        }
    }
}

/// Room for the time axis' labels under the last plot.
const X_AXIS_HEIGHT: f32 = 16.0;

/// A color key and a name as one widget, so a wrapping legend never splits them and never grows wider than the
/// panel (16 players' names must wrap, not push the graphs off the window).
fn legend_item(ui: &mut egui::Ui, name: &str, color: Color32) {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let galley = ui.painter().layout_no_wrap(name.to_owned(), font, color);
    let key = galley.size().y * 0.7;
    let size = egui::vec2(key + 3.0 + galley.size().x, galley.size().y);
    let (rect, resp) = ui.allocate_exact_size(size, egui::Sense::hover());
    let key_rect = egui::Rect::from_center_size(
        egui::pos2(rect.left() + key / 2.0, rect.center().y),
        egui::vec2(key, key),
    );
    ui.painter().rect_filled(key_rect, 2.0, color);
    ui.painter().galley(
        egui::pos2(rect.left() + key + 3.0, rect.top()),
        galley,
        color,
    );
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, name));
}

/// Pixels between value marks: egui_plot labels a mark only when its neighbours are over 20 px away, and its
/// default marks step by powers of ten, so a 70 m/s income in a short plot had marks every 10 (too close to label)
/// or 100 (only 0 in range): the scale read 0 alone. Steps of 1, 2 or 5 times a power of ten at least this far apart
/// always leave two or three labelled marks.
const VALUE_MARK_PIXELS: f64 = 26.0;
/// egui_plot's default least grid spacing (`Plot::grid_spacing`), which `GridInput::base_step_size` is scaled by.
const GRID_SPACING_MIN: f64 = 8.0;

/// Value grid marks: the smallest step of 1, 2 or 5 times a power of ten that keeps [`VALUE_MARK_PIXELS`] between
/// marks.
fn value_marks(input: egui_plot::GridInput) -> Vec<egui_plot::GridMark> {
    let (lo, hi) = input.bounds;
    let per_pixel = input.base_step_size / GRID_SPACING_MIN;
    let want = (per_pixel * VALUE_MARK_PIXELS).max(1e-9);
    let power = 10f64.powf(want.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= want)
        .unwrap_or(10.0 * power);
    marks_every(lo, hi, step)
}

/// A value mark's label, with the decimals its step needs (0.5 steps read 0.5, 1.0, not 0, 1).
fn scale_label(v: f64, step: f64) -> String {
    if step >= 1.0 || v == 0.0 {
        theme::amount(v)
    } else {
        let decimals = (-step.log10().floor()).clamp(1.0, 3.0) as usize;
        format!("{v:.decimals$}")
    }
}

/// Game-time grid marks at whole minutes (1, 2, 5, 10, 15, 30, 60), about four across the plot, so the axis
/// reads 5:00, 10:00 rather than the base-10 seconds egui_plot would pick (100 s = 1:40).
fn minute_marks(input: egui_plot::GridInput) -> Vec<egui_plot::GridMark> {
    let (lo, hi) = input.bounds;
    let span = (hi - lo).max(1.0);
    let step = [15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0]
        .into_iter()
        .find(|s| span / s <= 5.0)
        .unwrap_or(7200.0);
    marks_every(lo, hi, step)
}

/// Grid marks at the multiples of `step` between `lo` and `hi` (at most 64).
fn marks_every(lo: f64, hi: f64, step: f64) -> Vec<egui_plot::GridMark> {
    let first = (lo / step).ceil();
    (0..64)
        .map(|i| (first + f64::from(i)) * step)
        .take_while(|v| *v <= hi)
        .map(|value| egui_plot::GridMark {
            value,
            step_size: step,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplify_drops_only_what_cannot_be_seen() {
        // Flat, then a straight climb, then a spike, then noise within the tolerance.
        let mut pts: Vec<PlotPoint> = (0..100).map(|t| PlotPoint::new(t as f64, 5.0)).collect();
        pts.extend((100..200).map(|t| PlotPoint::new(t as f64, 5.0 + (t - 100) as f64)));
        pts.push(PlotPoint::new(200.0, 500.0));
        pts.extend(
            (201..300)
                .map(|t| PlotPoint::new(t as f64, 104.0 + if t % 2 == 0 { 0.1 } else { -0.1 })),
        );
        let kept = simplify(&pts, 0.5);
        assert!(kept.len() <= 16, "{} points kept: {kept:?}", kept.len());
        assert_eq!(kept.first(), pts.first());
        assert_eq!(kept.last(), pts.last());
        assert!(
            kept.contains(&PlotPoint::new(200.0, 500.0)),
            "the spike stays"
        );
        assert!(kept.windows(2).all(|w| w[0].x < w[1].x));
        // Every dropped point is within the tolerance of the line drawn through the kept ones.
        for p in &pts {
            let i = kept.partition_point(|k| k.x < p.x);
            if kept.get(i).is_some_and(|k| k.x == p.x) {
                continue;
            }
            let (a, b) = (kept[i - 1], kept[i]);
            let y = a.y + (b.y - a.y) * (p.x - a.x) / (b.x - a.x);
            assert!((p.y - y).abs() <= 0.5, "{p:?} is {} off", (p.y - y).abs());
        }
        // No tolerance (a zero-height plot): nothing dropped.
        assert_eq!(simplify(&pts, 0.0).len(), pts.len());
    }

    #[test]
    fn value_marks_label_a_short_plot_beyond_zero() {
        // A 60 px plot of 0..72 m/s (a reclaim spike): base_step_size as egui_plot computes it.
        let input = |lo: f64, hi: f64, px: f64| egui_plot::GridInput {
            bounds: (lo, hi),
            base_step_size: (hi - lo) / px * GRID_SPACING_MIN,
        };
        let marks = value_marks(input(0.0, 72.0, 60.0));
        let values: Vec<f64> = marks.iter().map(|m| m.value).collect();
        assert_eq!(values, vec![0.0, 50.0]);
        let marks = value_marks(input(0.0, 72.0, 120.0));
        let values: Vec<f64> = marks.iter().map(|m| m.value).collect();
        assert_eq!(values, vec![0.0, 20.0, 40.0, 60.0]);
        // Every mark is far enough from the next for egui_plot to label it.
        for (lo, hi, px) in [(0.0, 3.0, 50.0), (0.0, 2500.0, 80.0), (0.0, 1e6, 200.0)] {
            let m = value_marks(input(lo, hi, px));
            assert!(m.len() >= 2, "{lo}..{hi} in {px} px: {m:?}");
            let gap = m[0].step_size / (hi - lo) * px;
            assert!(gap > 20.0, "{gap} px between marks");
        }
        assert_eq!(scale_label(0.5, 0.5), "0.5");
        assert_eq!(scale_label(1500.0, 500.0), "1.5k");
    }

    #[test]
    fn reduce_keeps_peaks_order_and_bounds() {
        let pts: Vec<PlotPoint> = (0..7200)
            .map(|t| PlotPoint::new(t as f64, if t == 3333 { 1e6 } else { (t % 7) as f64 }))
            .collect();
        let r = reduce(&pts, 0.0, 7200.0);
        assert!(r.len() <= BUCKETS * 2 + 2, "{}", r.len());
        assert!(r.windows(2).all(|w| w[0].x < w[1].x));
        assert!(r.iter().any(|p| p.y == 1e6), "the peak survives");
        assert_eq!(r.first().map(|p| p.x), Some(0.0));
    }
}
