//! A bounded time series: one point per game second until it is full, then every other point is dropped and the
//! spacing doubles, so a whole game of any length fits in the same memory.

use egui_plot::PlotPoint;

/// Points a series keeps before it thins. A graph draws at most 400 (a min/max pair per 200 buckets, see
/// `ui::panels::graphs`), and after two hours at this capacity the spacing is 2 s, so the last 15 minutes still have
/// 450: nothing visible is lost. 8192 points were ~29 MB for 16 teams' 14 lines in a two-hour game; this is half.
pub const DEFAULT_CAPACITY: usize = 4096;
/// The least a series keeps, however many teams share the budget (`Game`'s `SERIES_POINTS_BUDGET`).
pub const MIN_CAPACITY: usize = 256;

#[derive(Debug, Clone)]
pub struct Series {
    points: Vec<PlotPoint>,
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
        self.points.push(PlotPoint::new(t, v));
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

    pub fn points(&self) -> &[PlotPoint] {
        &self.points
    }

    /// The points at or after game time `from`.
    pub fn since(&self, from: f64) -> &[PlotPoint] {
        let start = self.points.partition_point(|p| p.x < from);
        &self.points[start..]
    }

    pub fn last(&self) -> Option<f64> {
        self.points.last().map(|p| p.y)
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
pub fn reduce(points: &[PlotPoint], from: f64, to: f64, buckets: usize) -> Vec<PlotPoint> {
    let buckets = buckets.max(1);
    if points.len() <= buckets * 2 {
        return points.to_vec();
    }
    let width = ((to - from) / buckets as f64).max(1e-9);
    let mut out = Vec::with_capacity(buckets * 2 + 2);
    let mut i = 0;
    while i < points.len() {
        // The bucket's right edge; points are in time order, so one comparison per point finds the bucket's end.
        let edge = from + (((points[i].x - from) / width).floor() + 1.0) * width;
        let (mut lo, mut hi) = (i, i);
        let mut j = i + 1;
        while j < points.len() && points[j].x < edge {
            let y = points[j].y;
            if y < points[lo].y {
                lo = j;
            }
            if y > points[hi].y {
                hi = j;
            }
            j += 1;
        }
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(points[a]);
        if b != a {
            out.push(points[b]);
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
            s.points().iter().map(|p| p.y).collect::<Vec<_>>(),
            vec![1.0, 3.0]
        );
        assert_eq!(s.since(1.5).len(), 1);
    }
}
