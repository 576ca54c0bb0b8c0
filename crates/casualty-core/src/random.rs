//! Per-patient random streams and the few distributions the model draws from.
//!
//! Every patient gets its own ChaCha8 stream, keyed by the seed and selected by the patient's
//! index, so any patient can be generated alone, on any thread, with the same result. The
//! distributions are written here on top of `libm` rather than taken from `rand_distr`, so that
//! every transcendental function that reaches a record is the pure-Rust `libm` one and gives the
//! same bits on every platform.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random stream with the model's distributions.
pub struct Stream {
    rng: ChaCha8Rng,
}

impl Stream {
    /// The stream of `index` under `seed`.
    pub fn new(seed: u64, index: u64) -> Stream {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index);
        Stream { rng }
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A whole number in `[low, high]`.
    pub fn between(&mut self, low: u32, high: u32) -> u32 {
        if high <= low {
            return low;
        }
        low + (self.rng.next_u64() % u64::from(high - low + 1)) as u32
    }

    /// Standard normal, by the Box–Muller transform.
    pub fn standard_normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
    }

    /// Normal with mean and standard deviation.
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        mean + sd * self.standard_normal()
    }

    /// Lognormal given its median and log-scale sigma.
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * libm::exp(sigma * self.standard_normal())
    }

    /// Exponential with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(1.0 - self.uniform())
    }

    /// An index drawn from a cumulative table.
    pub fn pick(&mut self, table: &Cumulative) -> usize {
        table.find(self.uniform())
    }
}

/// Cumulative weights for drawing an index in proportion to its weight.
#[derive(Debug, Clone, Default)]
pub struct Cumulative {
    totals: Vec<f64>,
}

impl Cumulative {
    /// Builds the table; weights must be finite and not negative.
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Cumulative {
        let mut sum = 0.0;
        let totals = weights
            .into_iter()
            .map(|w| {
                sum += w.max(0.0);
                sum
            })
            .collect();
        Cumulative { totals }
    }

    /// Whether no entry has weight.
    pub fn is_empty(&self) -> bool {
        self.totals.last().is_none_or(|t| *t <= 0.0)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.totals.len()
    }

    /// The entry that `u` in [0, 1) falls into; never an entry of weight zero.
    pub fn find(&self, u: f64) -> usize {
        let total = *self.totals.last().expect("a cumulative table is never empty when drawn from");
        let target = u * total;
        let i = self.totals.partition_point(|t| *t <= target);
        i.min(self.totals.len() - 1)
    }
}
