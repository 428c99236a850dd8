//! A small seedable random generator, for the values wgpool draws itself (fractional max
//! pooling's samples when the caller gives none). Not cryptographic; chosen because it is tiny,
//! fast, fully specified and the same on every platform.

/// SplitMix64 (Steele, Lea and Flood, 2014; the seeding generator of Java's `SplittableRandom`
/// and of the xoshiro family). The same seed always gives the same sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose sequence is determined by `seed` (every value, 0 included, is a good
    /// seed).
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform `f32` in `[0, 1)`: the top 24 bits scaled by 2^-24, so every value is exact and
    /// 1.0 is never returned.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_sequence() {
        // The first outputs of the reference C implementation for seed 0.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn floats_lie_in_the_unit_interval_and_follow_the_seed() {
        let draw = |seed| {
            let mut rng = SplitMix64::new(seed);
            (0..1000).map(|_| rng.next_f32()).collect::<Vec<_>>()
        };
        let a = draw(7);
        assert!(a.iter().all(|v| (0.0..1.0).contains(v)));
        assert_eq!(a, draw(7));
        assert_ne!(a, draw(8));
    }
}
