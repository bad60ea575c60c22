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

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
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
}
