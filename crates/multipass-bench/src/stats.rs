//! Order statistics over a set of timings or sizes.

use serde::Serialize;

/// The figures reported for one series. The raw samples are kept in the JSON output so
/// that anyone can recompute other statistics.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub runs: usize,
    pub median: f64,
    pub p90: f64,
    pub min: f64,
    pub max: f64,
    pub samples: Vec<f64>,
}

impl Summary {
    /// `None` for an empty series: a median of nothing would be a made-up number.
    pub fn of(samples: &[f64]) -> Option<Self> {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let first = *sorted.first()?;
        let last = *sorted.last()?;
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Self {
            runs: n,
            median,
            p90: nearest_rank(&sorted, 0.90),
            min: first,
            max: last,
            samples: samples.to_vec(),
        })
    }
}

/// Nearest-rank percentile: always one of the observed values, never an interpolation,
/// which is the honest choice for a handful of runs.
fn nearest_rank(sorted: &[f64], fraction: f64) -> f64 {
    let n = sorted.len();
    // `n` is at most a few thousand, so the float round trip is exact.
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let rank = ((fraction * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

/// `a / b`, or `None` when `b` is zero, so a ratio is never infinite or NaN in the output.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_series() {
        let odd = Summary::of(&[3.0, 1.0, 2.0]).map(|s| s.median);
        assert_eq!(odd, Some(2.0));
        let even = Summary::of(&[4.0, 1.0, 3.0, 2.0]).map(|s| s.median);
        assert_eq!(even, Some(2.5));
    }

    #[test]
    fn p90_is_an_observed_value() {
        let samples: Vec<f64> = (1..=15).map(f64::from).collect();
        let summary = Summary::of(&samples);
        assert_eq!(summary.as_ref().map(|s| s.p90), Some(14.0));
        assert_eq!(summary.as_ref().map(|s| s.min), Some(1.0));
        let single = Summary::of(&[5.0]);
        assert_eq!(single.map(|s| (s.median, s.p90)), Some((5.0, 5.0)));
    }

    #[test]
    fn empty_series_has_no_summary() {
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn ratio_refuses_division_by_zero() {
        assert_eq!(ratio(3.0, 2.0), Some(1.5));
        assert_eq!(ratio(3.0, 0.0), None);
    }
}
