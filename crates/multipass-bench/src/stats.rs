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

/// Each of `ours` over the yardstick's figure measured next to it, `theirs` in the same
/// order. The median of these pairs is the ratio a benchmark reports: a ratio of medians
/// would divide rates measured minutes apart, and on a machine whose disk speeds up and
/// slows down, that measures the drift as much as either rate. `None` unless both are as
/// long and no figure of theirs is zero.
pub fn paired_ratios(ours: &[f64], theirs: &[f64]) -> Option<Vec<f64>> {
    if ours.len() != theirs.len() {
        return None;
    }
    ours.iter()
        .zip(theirs)
        .map(|(&a, &b)| ratio(a, b))
        .collect()
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

    #[test]
    fn ratios_pair_each_run_with_the_yardstick_run_beside_it() {
        let ratios = paired_ratios(&[300.0, 600.0, 330.0], &[600.0, 1000.0, 600.0]);
        assert_eq!(ratios, Some(vec![0.5, 0.6, 0.55]));
        let median = ratios.as_deref().and_then(Summary::of).map(|s| s.median);
        assert_eq!(median, Some(0.55));
        // One slow yardstick run (500 where 640 was due) moves one pair and not the median,
        // where the ratio of the medians would become 320 / 500 = 0.64.
        let drift = paired_ratios(&[200.0, 320.0, 330.0], &[400.0, 640.0, 500.0]);
        assert_eq!(drift, Some(vec![0.5, 0.5, 0.66]));
        let median = drift.as_deref().and_then(Summary::of).map(|s| s.median);
        assert_eq!(median, Some(0.5));
    }

    #[test]
    fn unpaired_or_zero_yardsticks_give_no_ratios() {
        assert_eq!(paired_ratios(&[1.0, 2.0], &[1.0]), None);
        assert_eq!(paired_ratios(&[1.0, 2.0], &[1.0, 0.0]), None);
        assert_eq!(paired_ratios(&[], &[]), Some(Vec::new()));
    }
}
