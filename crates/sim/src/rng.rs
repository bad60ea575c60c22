//! The simulation's only source of randomness: xoshiro256** seeded through SplitMix64.
//!
//! Everything is integer arithmetic (and one exact floating-point comparison in `chance`), so a
//! seed replays the same run on every platform; no `ln` or other libm call, whose last bit may
//! differ between platforms, is ever used.

/// A xoshiro256** generator (Blackman and Vigna), seeded with SplitMix64 as its authors advise.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator for `seed`; every seed, zero included, gives a usable state.
    pub(crate) fn new(seed: u64) -> Rng {
        let mut mix = seed;
        let mut next = || {
            mix = mix.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = mix;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng { state: [next(), next(), next(), next()] }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` by Lemire's multiply-high; the bias is below `n / 2^64`, far below
    /// anything a simulation can notice.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0) has no value to return");
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `low..=high`.
    pub(crate) fn range(&mut self, low: u64, high: u64) -> u64 {
        assert!(low <= high, "empty range {low}..={high}");
        low + self.below(high - low + 1)
    }

    /// Uniform in `low..=high`, for durations in milliseconds.
    pub(crate) fn millis(&mut self, low: i64, high: i64) -> i64 {
        assert!(0 <= low && low <= high, "bad duration range {low}..={high}");
        low + self.below((high - low + 1) as u64) as i64
    }

    /// True with probability `p` (0 never, 1 always): a 53-bit uniform compared with `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        let unit = (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        unit < p
    }

    /// An index into a slice of `len` items.
    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// A random (version 4) UUID URN, the form EPCIS examples give `eventID`; written by
    /// hand, since every event needs one.
    pub(crate) fn uuid_urn(&mut self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let high = (self.next_u64() & !0xF000) | 0x4000;
        let low = (self.next_u64() & !(0b11 << 62)) | (0b10 << 62);
        let value = (u128::from(high) << 64) | u128::from(low);
        let mut out = String::with_capacity(45);
        out.push_str("urn:uuid:");
        for nibble in 0..32 {
            if matches!(nibble, 8 | 12 | 16 | 20) {
                out.push('-');
            }
            out.push(char::from(HEX[((value >> (124 - 4 * nibble)) & 0xF) as usize]));
        }
        out
    }
}

#[cfg(test)]
mod tests;
