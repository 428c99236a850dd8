//! Seeded randomness for the GPU-vs-CPU grids: a splitmix64 generator, input fills (plain,
//! many ties, all negative, salted with NaN/inf/signed zeros) and an ulp distance.
//!
//! `WGPOOL_TEST_SEED` (decimal or `0x` hex) replaces the default seed; every failure message
//! names the seed and the case, so a failing case can be replayed.
#![allow(dead_code)] // each test binary uses its own subset

/// The seed of this run: `WGPOOL_TEST_SEED`, else a fixed default.
pub fn seed() -> u64 {
    match std::env::var("WGPOOL_TEST_SEED") {
        Ok(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|e| panic!("WGPOOL_TEST_SEED={text:?}: {e}"))
        }
        Err(_) => 0x5eed_9001_c0ff_ee00,
    }
}

/// splitmix64: tiny, fast, and good enough to pick shapes and values.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator for stream `stream` of `seed` (each test takes its own stream).
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Rng {
            state: seed ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03),
        };
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0);
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi);
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A coin flip.
    pub fn coin(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }

    /// One of `items`.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Uniform in `[0, 1)`, on the f32 grid of 2^-24.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u32 << 24) as f32
    }

    /// Roughly standard normal (Irwin–Hall of 12 uniforms), never subnormal.
    pub fn normal(&mut self) -> f32 {
        let sum: f32 = (0..12).map(|_| self.unit()).sum();
        let x = sum - 6.0;
        if x.abs() < 1e-6 {
            0.5
        } else {
            x
        }
    }

    /// A quiet NaN with a random payload and sign, so that bit-exact comparisons tell NaNs
    /// apart (max pooling must return the bits of the winning NaN).
    pub fn nan(&mut self) -> f32 {
        let sign = if self.coin() { 0x8000_0000 } else { 0 };
        let payload = self.below(0x0040_0000) as u32;
        f32::from_bits(sign | 0x7fc0_0000 | payload)
    }
}

/// What a random input is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// Normal-ish values, scaled by 3: ties are rare.
    Normal,
    /// Integers in -2..=2: many ties, and +0 everywhere.
    SmallInts,
    /// Strictly negative values with ties: padding (-inf for max, 0 for avg) must never win.
    AllNegative,
    /// Normal-ish values salted with NaN (random payloads), +inf, -inf, -0.0 and +0.0.
    Special,
    /// Only NaN, +-inf and signed zeros (whole windows of them).
    OnlySpecial,
}

/// Every fill, for drawing one per case.
pub const FILLS: [Fill; 5] = [
    Fill::Normal,
    Fill::SmallInts,
    Fill::AllNegative,
    Fill::Special,
    Fill::OnlySpecial,
];

fn special(rng: &mut Rng) -> f32 {
    match rng.below(5) {
        0 => rng.nan(),
        1 => f32::INFINITY,
        2 => f32::NEG_INFINITY,
        3 => -0.0,
        _ => 0.0,
    }
}

/// `len` values of kind `fill`.
pub fn fill(rng: &mut Rng, fill: Fill, len: usize) -> Vec<f32> {
    (0..len)
        .map(|_| match fill {
            Fill::Normal => 3.0 * rng.normal(),
            Fill::SmallInts => rng.range(-2, 2) as f32,
            Fill::AllNegative => {
                if rng.coin() {
                    -(rng.range(1, 3) as f32)
                } else {
                    -1.0 - 50.0 * rng.unit()
                }
            }
            Fill::Special => {
                if rng.percent(35) {
                    special(rng)
                } else {
                    3.0 * rng.normal()
                }
            }
            Fill::OnlySpecial => special(rng),
        })
        .collect()
}

/// Distance in units in the last place; `-0.0` and `+0.0` are 0 apart. Meaningless for NaN.
pub fn ulps(a: f32, b: f32) -> u64 {
    fn key(x: f32) -> i64 {
        let bits = x.to_bits() as i32;
        if bits < 0 {
            i64::from(i32::MIN) - i64::from(bits)
        } else {
            i64::from(bits)
        }
    }
    key(a).abs_diff(key(b))
}

/// Most ulps an f32 average may be off on the GPU: WGSL allows 2.5 ulp for f32 division, and
/// the sum is formed in the same order as the CPU reference, so it is exact.
pub const AVG_MAX_ULPS: u64 = 3;

/// Compares GPU averages with the CPU reference: NaN where the reference has NaN, infinities
/// exactly, everything else within [`AVG_MAX_ULPS`]. Panics naming `what` and the element.
pub fn assert_avg_close(got: &[f32], expected: &[f32], what: &dyn std::fmt::Display) {
    assert_eq!(got.len(), expected.len(), "{what}: lengths differ");
    for (i, (&g, &e)) in got.iter().zip(expected).enumerate() {
        let ok = if e.is_nan() {
            g.is_nan()
        } else if e.is_infinite() {
            g.to_bits() == e.to_bits()
        } else {
            !g.is_nan() && ulps(g, e) <= AVG_MAX_ULPS
        };
        assert!(
            ok,
            "{what}: element {i}: GPU {g:e} ({:#010x}), CPU {e:e} ({:#010x})",
            g.to_bits(),
            e.to_bits()
        );
    }
}

/// Compares max-pooling values bit for bit (this pins NaN payloads and signed zeros).
pub fn assert_bits_eq(got: &[f32], expected: &[f32], what: &dyn std::fmt::Display) {
    assert_eq!(got.len(), expected.len(), "{what}: lengths differ");
    for (i, (&g, &e)) in got.iter().zip(expected).enumerate() {
        assert!(
            g.to_bits() == e.to_bits(),
            "{what}: element {i}: GPU {g:e} ({:#010x}), CPU {e:e} ({:#010x})",
            g.to_bits(),
            e.to_bits()
        );
    }
}
