//! A fast, non-cryptographic hasher for in-memory maps keyed by identifiers (the "Fx" hash of
//! rustc and Firefox: multiply and rotate, a word at a time). `std`'s SipHash resists
//! hash flooding from untrusted keys; these maps hold identifiers the ledger has already
//! accepted, and the import spends its time hashing them (measured: SipHash was a tenth of
//! capture time).

use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with `FxHasher`.
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuildHasher>;

/// Builds `FxHasher`s.
pub type FxBuildHasher = BuildHasherDefault<FxHasher>;

/// The Fx hash: for each 8-byte word, `hash = (hash.rotate_left(5) ^ word) * K`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FxHasher {
    hash: u64,
}

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// The state, mixed once more: a multiply only carries a bit upwards, so without this the
    /// low bits (which pick the bucket) ignore the high bytes of the last word, where the
    /// digits of sequential serials end up, and such keys pile into a few buckets (measured:
    /// half of a 10 M pack import was spent comparing keys in collision chains).
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn equal_strings_hash_alike_and_lengths_matter() {
        let b = FxBuildHasher::default();
        let h = |s: &str| b.hash_one(s);
        assert_eq!(
            h("https://id.gs1.org/01/04012345111118/21/1"),
            h("https://id.gs1.org/01/04012345111118/21/1")
        );
        assert_ne!(
            h("https://id.gs1.org/01/04012345111118/21/1"),
            h("https://id.gs1.org/01/04012345111118/21/2")
        );
        assert_ne!(h("a"), h("a\0"));
        let mut map: FxHashMap<String, u32> = FxHashMap::default();
        for i in 0..10_000 {
            map.insert(format!("urn:epc:id:sgtin:4012345.011111.{i}"), i);
        }
        assert_eq!(map.len(), 10_000);
        assert_eq!(map["urn:epc:id:sgtin:4012345.011111.4321"], 4321);
    }

    #[test]
    fn sequential_serials_spread_over_the_low_bits() {
        // hashbrown picks the bucket from the low bits: keys that differ only in their last
        // bytes must still differ there.
        let b = FxBuildHasher::default();
        let n = 1 << 16;
        for prefix in [
            "https://id.gs1.org/01/04012345111118/21/S",
            "https://id.gs1.org/01/04012345111118/21/",
        ] {
            let buckets: std::collections::HashSet<u64> =
                (0..n).map(|i| b.hash_one(format!("{prefix}{i}")) & (n - 1)).collect();
            // Random hashes fill about 63% of the buckets (1 - 1/e).
            assert!(buckets.len() as u64 > n * 55 / 100, "{prefix}: {} of {n}", buckets.len());
        }
    }
}
