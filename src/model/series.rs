//! A bounded time series: one point per game second until it is full, then every other point is dropped and the
//! spacing doubles, so a whole game of any length fits in the same memory.

use egui_plot::PlotPoint;

/// Points a series keeps before it thins. A graph draws at most 400 (a min/max pair per 200 buckets, see
/// `ui::panels::graphs`), and after two hours at this capacity the spacing is 2 s, so the last 15 minutes still have
/// 450: nothing visible is lost. 8192 points were ~29 MB for 16 teams' 14 lines in a two-hour game; this is half.
pub const DEFAULT_CAPACITY: usize = 4096;
/// The least a series keeps, however many teams share the budget (`Game`'s `SERIES_POINTS_BUDGET`).
pub const MIN_CAPACITY: usize = 256;

/// One kept point: game seconds and value, as `f32` (8 bytes where a `PlotPoint` is 16; 16 teams' 14 lines of a
/// two-hour game were half of what the graphs cost in memory). `f32` holds a two-hour clock to a millisecond and a
/// value to seven digits, more than a plot a few hundred pixels tall shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub x: f32,
    pub y: f32,
}

impl From<Sample> for PlotPoint {
    fn from(s: Sample) -> PlotPoint {
        PlotPoint::new(s.x, s.y)
    }
}

#[derive(Debug, Clone)]
pub struct Series {
    points: Vec<Sample>,
    capacity: usize,
    /// Seconds of game time between kept points (doubles at each thinning).
    stride: f64,
    last_t: f64,
}

impl Default for Series {
    fn default() -> Self {
        Series::with_capacity(DEFAULT_CAPACITY)
    }
}

impl Series {
    pub fn with_capacity(capacity: usize) -> Self {
        Series {
            points: Vec::new(),
            capacity: capacity.max(4),
            stride: 1.0,
            last_t: f64::NEG_INFINITY,
        }
    }

    /// Adds a sample at game time `t` (seconds). Samples closer than the current spacing to the last kept one are
    /// skipped; non-finite values are skipped.
    pub fn push(&mut self, t: f64, v: f64) {
        if !v.is_finite() || !t.is_finite() || t < self.last_t + self.stride * 0.999 {
            return;
        }
        if self.points.len() >= self.capacity {
            self.thin();
        }
        self.points.push(Sample {
            x: t as f32,
            y: v as f32,
        });
        self.last_t = t;
    }

    /// Lowers (or raises) the capacity, thinning at once until the points fit.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(4);
        while self.points.len() > self.capacity {
            self.thin();
        }
    }

    fn thin(&mut self) {
        let mut i = 0;
        self.points.retain(|_| {
            i += 1;
            i % 2 == 1
        });
        self.stride *= 2.0;
    }

    pub fn points(&self) -> &[Sample] {
        &self.points
    }

    /// The points at or after game time `from`.
    pub fn since(&self, from: f64) -> &[Sample] {
        let start = self.points.partition_point(|p| f64::from(p.x) < from);
        &self.points[start..]
    }

    pub fn last(&self) -> Option<f64> {
        self.points.last().map(|p| f64::from(p.y))
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// Keeps the min and the max of each of `buckets` time buckets between `from` and `to`, in time order, so a line keeps
/// its shape and its peaks at a fraction of the points (the window's graphs and the web pages draw these).
pub fn reduce<P: Copy + Into<PlotPoint>>(
    points: &[P],
    from: f64,
    to: f64,
    buckets: usize,
) -> Vec<PlotPoint> {
    let buckets = buckets.max(1);
    let at = |i: usize| -> PlotPoint { points[i].into() };
    if points.len() <= buckets * 2 {
        return (0..points.len()).map(at).collect();
    }
    let width = ((to - from) / buckets as f64).max(1e-9);
    let mut out = Vec::with_capacity(buckets * 2 + 2);
    let mut i = 0;
    while i < points.len() {
        // The bucket's right edge; points are in time order, so one comparison per point finds the bucket's end.
        let edge = from + (((at(i).x - from) / width).floor() + 1.0) * width;
        let (mut lo, mut hi) = (i, i);
        let (mut lo_y, mut hi_y) = (at(i).y, at(i).y);
        let mut j = i + 1;
        while j < points.len() {
            let p = at(j);
            if p.x >= edge {
                break;
            }
            if p.y < lo_y {
                (lo, lo_y) = (j, p.y);
            }
            if p.y > hi_y {
                (hi, hi_y) = (j, p.y);
            }
            j += 1;
        }
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(at(a));
        if b != a {
            out.push(at(b));
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_bounded_and_covers_the_whole_game() {
        let mut s = Series::with_capacity(100);
        for t in 0..7200 {
            s.push(t as f64, t as f64 * 2.0);
        }
        assert!(s.len() <= 100, "len {}", s.len());
        assert_eq!(s.points()[0].x, 0.0);
        assert!(s.points().last().map(|p| p.x).unwrap_or(0.0) > 7000.0);
        assert!(s.points().windows(2).all(|w| w[0].x < w[1].x));
    }

    #[test]
    fn skips_repeats_within_a_second_and_non_finite_values() {
        let mut s = Series::default();
        s.push(1.0, 1.0);
        s.push(1.5, 2.0);
        s.push(2.0, f64::NAN);
        s.push(2.0, 3.0);
        assert_eq!(
            s.points()
                .iter()
                .map(|p| f64::from(p.y))
                .collect::<Vec<_>>(),
            vec![1.0, 3.0]
        );
        assert_eq!(s.since(1.5).len(), 1);
    }
}
